/**
 * The conversion attributes of a secret read from the files, without a `git check-attr` child,
 * in the one case where the answer is certain: git-seal's block in the root .gitattributes
 * decides them, and nothing git ranks above it says anything.
 *
 * Why: every filter start asked check-attr about its first file, a process spawn (~3-4 ms of a
 * ~70 ms `git add`, `git checkout` or `git status` touching one secret, issue 16, target 2).
 *
 * How git decides (https://git-scm.com/docs/gitattributes, "Precedence"; attr.c): for each
 * attribute the first assignment found wins, searching `$GIT_DIR/info/attributes`, then the
 * .gitattributes of the path's own directory and each one above it (the work tree's, or the
 * index's when the work tree has none), then core.attributesFile, then the system file; within
 * one file the last matching line first, and within a line the last token first. `-text`,
 * `-ident` and `!working-tree-encoding` are the last tokens of every secret line git-seal
 * writes, and a macro expands only when set to true (`name` alone), which no token of the
 * block is. So when
 *
 * - no GIT_ATTR_SOURCE, no `[attr]` section (attr.tree), no config include and no
 *   GIT_CONFIG_COUNT / `attr.` in GIT_CONFIG_PARAMETERS can point git at other files,
 * - info/attributes (of the common and of this worktree's git dir) holds no rule,
 * - no directory above the path has a .gitattributes, in the work tree or the index,
 * - the work tree's root .gitattributes is a regular file whose last rules are the block,
 * - and a line of the block whose pattern certainly matches the path (only `*`, `?`, `**` and
 *   literal characters are matched here) assigns `text`, `ident` and `working-tree-encoding`
 *   before any line of it this module cannot read,
 *
 * those assignments are what check-attr would print. Anything else, or any doubt (an unreadable
 * file, an index read only by git), is null: the caller asks check-attr, as before.
 */
import { existsSync, lstatSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { patternToRegex } from '../config/gitattributes-pattern.js'
import type { AttributeValue } from './attributes.js'
import type { RepoPaths } from './repo.js'

/** The attributes this module answers for (the ones conversionsOf reads to decide). */
const DECIDED = ['text', 'ident', 'working-tree-encoding'] as const

const BEGIN = /^# BEGIN git-seal\b/
const END = /^# END git-seal\b/

interface BlockLine {
  /** matches the path, or null when the pattern uses syntax not matched here */
  match: RegExp | null
  /** assignments of the decided attributes, as check-attr prints them */
  assigns: Map<string, AttributeValue>
  /** a token set to true: a macro could expand from it */
  setsTrue: boolean
}

/** A rule line: anything but blank lines and comments. */
function isRule(line: string): boolean {
  const t = line.trim()
  return t !== '' && !t.startsWith('#')
}

/** Reads a file, or null when it is missing; throws on any other failure (a doubt). */
function readIfPresent(file: string): string | null {
  // Most of these files are missing: asking first spares an ENOENT exception each (~30 µs).
  if (!existsSync(file)) return null
  try {
    return readFileSync(file, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return null
    throw e
  }
}

/** True when `file` exists in any form (a file, a directory, a symbolic link); throws on a doubt. */
function exists(file: string): boolean {
  return lstatSync(file, { throwIfNoEntry: false }) !== undefined
}

/**
 * A pattern of the block as a regex over repository-relative paths, when it uses only `*`,
 * `?`, `**` and characters that stand for themselves; null otherwise (brackets, backslashes,
 * quotes: git may read them in ways not matched here).
 */
export function simplePatternRegex(pattern: string): RegExp | null {
  if (/[[\\"]/.test(pattern) || pattern.startsWith('!') || pattern.endsWith('/')) return null
  // The one translator of gitattributes patterns (config/gitattributes-pattern.ts); its output
  // for these characters is plain JavaScript regex syntax too.
  return new RegExp(patternToRegex(pattern), 's')
}

/** One line of the block: its pattern and what it assigns (git's token syntax: NAME, -NAME, !NAME, NAME=VALUE). */
function parseLine(line: string): BlockLine {
  const [pattern = '', ...tokens] = line.trim().split(/[ \t]+/)
  // git ignores a line longer than 2048 bytes, or one with an invalid attribute name: such a
  // line is one this module cannot read (its pattern is treated as unmatched-here).
  const valid =
    Buffer.byteLength(line) < 2048 &&
    tokens.every((t) => /^[A-Za-z0-9_.][-A-Za-z0-9_.]*(=.*)?$/.test(t.replace(/^[-!]/, '')))
  const assigns = new Map<string, AttributeValue>()
  let setsTrue = false
  // Within a line the last token wins: read from the end, keep the first seen.
  for (const token of tokens.reverse()) {
    let name: string
    let value: AttributeValue
    if (token.startsWith('-')) [name, value] = [token.slice(1), 'unset']
    else if (token.startsWith('!')) [name, value] = [token.slice(1), 'unspecified']
    else if (token.includes('='))
      [name, value] = [token.slice(0, token.indexOf('=')), token.slice(token.indexOf('=') + 1)]
    else [name, value] = [token, 'set']
    if (value === 'set') setsTrue = true
    if ((DECIDED as readonly string[]).includes(name) && !assigns.has(name)) assigns.set(name, value)
  }
  return { match: !valid || pattern.startsWith('[attr]') ? null : simplePatternRegex(pattern), assigns, setsTrue }
}

/**
 * Where git's system config may be: GIT_CONFIG_SYSTEM, else the usual prefixes (Debian's /etc,
 * /usr/local, Homebrew's /opt/homebrew) and the one beside the git that started us.
 */
function systemConfigs(env: NodeJS.ProcessEnv): string[] {
  if (env['GIT_CONFIG_SYSTEM'] !== undefined) return [env['GIT_CONFIG_SYSTEM']]
  const beside = env['GIT_EXEC_PATH'] ? [join(env['GIT_EXEC_PATH'], '..', '..', 'etc', 'gitconfig')] : []
  return ['/etc/gitconfig', '/usr/local/etc/gitconfig', '/opt/homebrew/etc/gitconfig', ...beside]
}

/** No rule in the config that could make git read attributes from elsewhere (attr.tree) or include more config. */
function configLeavesAttributesAlone(paths: RepoPaths, env: NodeJS.ProcessEnv): boolean {
  if (env['GIT_ATTR_SOURCE'] !== undefined || env['GIT_CONFIG_COUNT'] !== undefined) return false
  if (/attr\.|include|ignorecase/i.test(env['GIT_CONFIG_PARAMETERS'] ?? '')) return false
  const home = env['HOME'] ?? ''
  const files = [
    join(paths.commonDir, 'config'),
    join(paths.gitDir, 'config.worktree'),
    env['GIT_CONFIG_GLOBAL'] ?? join(home, '.gitconfig'),
    join(env['XDG_CONFIG_HOME'] || join(home, '.config'), 'git', 'config'),
    ...(env['GIT_CONFIG_NOSYSTEM'] ? [] : systemConfigs(env)),
  ]
  for (const file of files) {
    const text = readIfPresent(file)
    if (text === null) continue
    if (/^\s*\[\s*(attr|include|includeif)\b/im.test(text)) return false
    // core.ignorecase makes git match patterns without regard to case; the regexes here do not.
    if (/^\s*ignorecase\s*=\s*(true|yes|on|1)\b/im.test(text)) return false
  }
  return true
}

/**
 * What the repository's attribute files say independently of the path: the block's lines, or
 * null when something other than the block may decide (see the module comment).
 */
export class BlockAttributes {
  /**
   * Per directory: whether it has a .gitattributes of its own (work tree or index). Read once
   * per index, as check-attr keeps the attribute files of the directory it is in: git rewrites
   * the index between the steps of a command that checks out many commits (a rebase).
   */
  private readonly nested = new Map<string, boolean>()
  private nestedIndex: ReadonlyMap<string, unknown> | null = null

  private constructor(
    private readonly root: string,
    /** the block's lines, last first (the order git reads them in) */
    private readonly lines: BlockLine[],
  ) {}

  /** The block of `root`'s .gitattributes, when it may decide; null on any doubt. Never throws. */
  static load(root: string, paths: RepoPaths, env: NodeJS.ProcessEnv = process.env): BlockAttributes | null {
    try {
      if (!configLeavesAttributesAlone(paths, env)) return null
      for (const dir of new Set([paths.commonDir, paths.gitDir])) {
        const info = readIfPresent(join(dir, 'info', 'attributes'))
        if (info?.split('\n').some(isRule)) return null
      }
      const file = join(root, '.gitattributes')
      if (!lstatSync(file).isFile()) return null
      const lines = readFileSync(file, 'utf8').split(/\r?\n/)
      const begin = lines.findIndex((l) => BEGIN.test(l))
      const end = lines.findIndex((l, i) => i > begin && END.test(l))
      if (begin < 0 || end < 0 || lines.slice(end + 1).some(isRule)) return null
      return new BlockAttributes(
        root,
        lines
          .slice(begin + 1, end)
          .filter(isRule)
          .map(parseLine)
          .reverse(),
      )
    } catch {
      return null
    }
  }

  /**
   * `text`, `ident` and `working-tree-encoding` of `path` as check-attr would print them, or
   * null when the block may not decide them for it. `indexPaths` is the index's paths (null
   * when only git can read the index), the same map for as long as the index is unchanged.
   * Never throws.
   */
  valuesFor(path: string, indexPaths: () => ReadonlyMap<string, unknown> | null): Map<string, AttributeValue> | null {
    // git matches bytes (`?` is one byte of a UTF-8 name); the regexes here match characters.
    if (/[^\x00-\x7f]/.test(path)) return null
    try {
      const dirs = path.split('/').slice(0, -1)
      if (dirs.length > 0) {
        const index = indexPaths()
        if (index === null) return null
        if (index !== this.nestedIndex) {
          this.nested.clear()
          this.nestedIndex = index
        }
        for (let i = 1; i <= dirs.length; i++) {
          const dir = dirs.slice(0, i).join('/')
          let has = this.nested.get(dir)
          if (has === undefined) {
            has = index.has(`${dir}/.gitattributes`) || exists(join(this.root, dir, '.gitattributes'))
            this.nested.set(dir, has)
          }
          if (has) return null
        }
      }
      const values = new Map<string, AttributeValue>()
      for (const line of this.lines) {
        if (line.match === null) {
          // Not matched here: if it may assign what is still open, git's answer is unknown.
          if (line.setsTrue || [...line.assigns.keys()].some((n) => !values.has(n))) return null
          continue
        }
        if (!line.match.test(path)) continue
        if (line.setsTrue && DECIDED.some((n) => !values.has(n))) return null
        for (const [name, value] of line.assigns) if (!values.has(name)) values.set(name, value)
        // Only `-text` makes crlf and eol irrelevant (conversionsOf); with any other text state
        // they decide too, and this module does not answer for them.
        if (DECIDED.every((n) => values.has(n))) return values.get('text') === 'unset' ? values : null
      }
      return null
    } catch {
      return null
    }
  }
}

/**
 * For the loader (src/startup/entry.ts), before the program and its keys load: whether the
 * block of the main worktree at `cwd` will likely decide attributes alone, so that starting a
 * check-attr child ahead (git/check-attr-prestart.ts) would be wasted. A cheap guess, from two
 * files only (the loader is not code-cached: every line of it costs each start): the program
 * decides with everything above, and asks git whenever it must.
 */
export function blockLikelyDecides(cwd: string): boolean {
  try {
    if (existsSync(join(cwd, '.git', 'info', 'attributes'))) return false
    const lines = readFileSync(join(cwd, '.gitattributes'), 'utf8').split(/\r?\n/)
    let end = lines.length - 1
    while (end >= 0 && !END.test(lines[end]!)) end--
    return end >= 0 && !lines.slice(end + 1).some(isRule)
  } catch {
    return false
  }
}
