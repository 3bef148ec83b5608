/**
 * gitattributes as git applies them: `git check-attr` (batched, persistent, or against a
 * tree), and what git's conversions do to a filtered blob.
 * https://git-scm.com/docs/gitattributes https://git-scm.com/docs/git-check-attr
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { takePrestartedCheckAttr } from './check-attr-prestart.js'
import { CIPHERTEXT_FILTER, isSealFilter } from './install-table.js'
import type { IndexEntry, TreeEntry } from './plumbing.js'
import { gitBytes, gitMaybe, type GitOptions } from './run.js'

/** An attribute's state as check-attr prints it: "unspecified", "set", "unset" or its value. */
export type AttributeValue = string

/** path -> attribute -> value */
export type AttributeTable = Map<string, Map<string, AttributeValue>>

/**
 * Parses `git check-attr -z` output: `path NUL attribute NUL value NUL`, repeated.
 * A record cut short at the end (no value yet) is left out.
 */
export function parseCheckAttr(out: string): AttributeTable {
  const table: AttributeTable = new Map()
  const fields = out.split('\0')
  // What follows the last NUL is empty, or a field cut short.
  fields.pop()
  for (let i = 0; i + 2 < fields.length; i += 3) {
    const path = fields[i]!
    let row = table.get(path)
    if (!row) {
      row = new Map()
      table.set(path, row)
    }
    row.set(fields[i + 1]!, fields[i + 2]!)
  }
  return table
}

export interface CheckAttrOptions {
  /** the index's .gitattributes only (`--cached`), not the work tree's */
  cached?: boolean
  env?: NodeJS.ProcessEnv
}

/**
 * `git check-attr --stdin -z [--cached] NAMES...`: attributes `names` of every path, one process.
 * @throws {GitError} when git fails (a path outside the repository, an unreadable index).
 */
export function checkAttrs(
  root: string,
  names: readonly string[],
  paths: readonly string[],
  options: CheckAttrOptions = {},
): AttributeTable {
  if (paths.length === 0 || names.length === 0) return new Map()
  const args = ['check-attr', '--stdin', '-z', ...(options.cached ? ['--cached'] : []), ...names]
  const run: GitOptions = { cwd: root, input: paths.join('\0') + '\0', ...(options.env ? { env: options.env } : {}) }
  return parseCheckAttr(gitBytes(args, run).toString('utf8'))
}

/**
 * The value of attribute `name` for each path ("unspecified", "set", "unset" or a value).
 * Uses the work tree's .gitattributes, or the index's with `cached`.
 */
export function checkAttr(root: string, name: string, paths: string[], cached = false): Map<string, string> {
  const result = new Map<string, string>()
  for (const [path, row] of checkAttrs(root, [name], paths, { cached }))
    result.set(path, row.get(name) ?? 'unspecified')
  return result
}

/**
 * Index paths whose `filter` attribute is one of git-seal's drivers; with `plaintextOnly`, only
 * those whose work tree holds plaintext (not `worktree: ciphertext` paths).
 */
export function filteredPaths(root: string, entries: IndexEntry[], cached = false, plaintextOnly = false): Set<string> {
  const attrs = checkAttr(root, 'filter', [...new Set(entries.map((e) => e.path))], cached)
  const out = new Set<string>()
  for (const [path, value] of attrs)
    if (isSealFilter(value) && !(plaintextOnly && value === CIPHERTEXT_FILTER)) out.add(path)
  return out
}

interface PendingLookup {
  resolve(value: Map<string, AttributeValue>): void
  reject(error: Error): void
}

/**
 * Writes `text` to the child's stdin: straight to the pipe when nothing is queued in the stream
 * (a stream write costs ~25 us per path in its machinery, most of what the filter pays check-attr
 * per file in a bulk checkout), through the stream otherwise and for whatever the pipe did not
 * take at once (a full pipe: EAGAIN), so the order is kept.
 */
function writeNow(child: ChildProcessWithoutNullStreams, text: string): void {
  const fd = (child.stdin as unknown as { _handle?: { fd?: number } })._handle?.fd
  let bytes = Buffer.from(text, 'utf8')
  if (typeof fd === 'number' && fd >= 0 && child.stdin.writableLength === 0 && !child.stdin.writableEnded) {
    try {
      bytes = bytes.subarray(writeSync(fd, bytes))
    } catch {
      // EAGAIN (the pipe is full) or a closed pipe: the stream writes it, or reports the error.
    }
    if (bytes.length === 0) return
  }
  child.stdin.write(bytes)
}

/**
 * One `git check-attr --stdin -z NAMES...` answering path after path, started on the first
 * lookup: the long-running filter asks about every file it is sent without a process per file.
 * check-attr flushes after each path when its output is a pipe.
 */
export class CheckAttrBatch {
  private child: ChildProcessWithoutNullStreams | null = null
  private queue: PendingLookup[] = []
  /** NUL-terminated fields received and not yet handed out */
  private fields: string[] = []
  private partial = ''

  constructor(
    private readonly cwd: string,
    private readonly names: readonly string[],
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  private start(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child
    const args = ['check-attr', '--stdin', '-z', ...this.names]
    // The loader may have started this very child already (check-attr-prestart.ts).
    const child =
      takePrestartedCheckAttr(args, this.cwd, this.env) ??
      spawn('git', args, { cwd: this.cwd, env: this.env, stdio: ['pipe', 'pipe', 'pipe'] })
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (data: string) => this.receive(data))
    let stderr = ''
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (data: string) => {
      if (stderr.length < 4096) stderr += data
    })
    const fail = (error: Error): void => {
      if (this.child !== child) return
      this.child = null
      this.fields = []
      this.partial = ''
      for (const pending of this.queue.splice(0)) pending.reject(error)
    }
    child.on('error', fail)
    child.on('close', (code) =>
      fail(
        new Error(
          `git check-attr exited${code === null ? '' : ` (${code})`}${stderr ? `: ${stderr.trim().split('\n')[0]}` : ''}`,
        ),
      ),
    )
    child.stdin.on('error', () => {
      // The child is gone; 'close' rejects whoever waits.
    })
    this.child = child
    return child
  }

  private receive(data: string): void {
    const parts = (this.partial + data).split('\0')
    this.partial = parts.pop()!
    this.fields.push(...parts)
    const perPath = this.names.length * 3
    while (this.queue.length > 0 && this.fields.length >= perPath) {
      const record = this.fields.splice(0, perPath)
      const row = new Map<string, AttributeValue>()
      for (let i = 0; i < perPath; i += 3) row.set(record[i + 1]!, record[i + 2]!)
      this.queue.shift()!.resolve(row)
    }
  }

  /**
   * The attributes of one repo-relative path.
   * @throws {Error} when check-attr cannot be started or exits (the path is outside the
   *   repository, git is gone).
   */
  get(path: string): Promise<Map<string, AttributeValue>> {
    const child = this.start()
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve, reject })
      writeNow(child, path + '\0')
    })
  }

  close(): void {
    this.child?.stdin.end()
    this.child = null
  }
}

/**
 * check-attr against the .gitattributes files of a tree (what a checkout of that tree reads),
 * for git without `check-attr --source` (before 2.40): a temporary index holding only the
 * tree's .gitattributes entries, queried with `--cached`. It holds blob ids, no content.
 * `.git/info/attributes` and the global attributes file still apply, as they do to git itself.
 */
export class TreeAttributes {
  private dir: string | null = null
  /** index file per set of .gitattributes blobs, so commits sharing them share one */
  private indexes = new Map<string, string>()

  constructor(
    private readonly root: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /**
   * Attributes `names` of `paths` as the tree whose entries are `entries` (`lsTree`) sets them.
   * @throws {GitError} when git cannot build or read the temporary index.
   */
  check(entries: readonly TreeEntry[], names: readonly string[], paths: readonly string[]): AttributeTable {
    if (paths.length === 0) return new Map()
    const files = entries.filter(
      (e) => e.type === 'blob' && (e.path === '.gitattributes' || e.path.endsWith('/.gitattributes')),
    )
    const key = files.map((f) => `${f.mode} ${f.oid}\t${f.path}`).join('\0')
    let index = this.indexes.get(key)
    if (!index) {
      this.dir ??= mkdtempSync(join(tmpdir(), 'git-seal-attr-'))
      index = join(this.dir, `index-${this.indexes.size}`)
      const info = files.map((f) => `${f.mode} ${f.oid}\t${f.path}\0`).join('')
      // A tree without .gitattributes gets no index file: git reads a missing one as empty.
      if (files.length > 0)
        gitBytes(['update-index', '-z', '--index-info'], {
          cwd: this.root,
          input: info,
          env: { ...this.env, GIT_INDEX_FILE: index },
        })
      this.indexes.set(key, index)
    }
    return checkAttrs(this.root, names, paths, { cached: true, env: { ...this.env, GIT_INDEX_FILE: index } })
  }

  close(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true })
    this.dir = null
    this.indexes.clear()
  }
}

/** What git does to a filtered blob on its way into the object store and back out. */
export interface Conversion {
  /** the attributes (or config) responsible, as a user would write them: `text eol=lf`, `ident` */
  setting: string
  /** attribute names to look for in .gitattributes files */
  attributes: string[]
  /** what it rewrites */
  rewrites: string
}

/** The attributes git's conversions read (convert.c: convert_attrs). */
export const CONVERSION_ATTRIBUTES = ['text', 'crlf', 'eol', 'ident', 'working-tree-encoding'] as const

/** core.autocrlf as git reads it: consulted only when neither `text`, `crlf` nor `eol` decides. */
export type AutoCrlf = 'true' | 'false' | 'input'

/** Parses a core.autocrlf value (git_config_bool, plus "input"); unset means false. */
export function parseAutoCrlf(value: string | null): AutoCrlf {
  if (value === null) return 'false'
  const v = value.trim().toLowerCase()
  if (v === 'input') return 'input'
  if (['true', 'yes', 'on'].includes(v) || (v === '' ? false : /^-?\d+$/.test(v) && Number(v) !== 0)) return 'true'
  return 'false'
}

/**
 * `git config --get core.autocrlf` in this repository (GIT_CONFIG_PARAMETERS, i.e. `git -c`,
 * respected through the environment).
 */
export function coreAutoCrlf(root: string, env: NodeJS.ProcessEnv = process.env): AutoCrlf {
  return parseAutoCrlf(gitMaybe(['config', '--get', 'core.autocrlf'], { cwd: root, env }))
}

const SPECIFIED = (v: AttributeValue | undefined): v is string => v !== undefined && v !== 'unspecified'

/**
 * The conversions git applies to a path with these attributes, between the filter and the
 * object store (convert.c: convert_to_git, convert_to_working_tree): none when the path is
 * `-text` (or the end-of-line attributes leave it binary), has no `ident`, and no
 * `working-tree-encoding` other than UTF-8. `autocrlf` is asked only when it decides.
 * `text=auto` counts: it rewrites whatever git's guess calls text, and a sops file is text.
 */
export function conversionsOf(attributes: ReadonlyMap<string, AttributeValue>, autocrlf: () => AutoCrlf): Conversion[] {
  const out: Conversion[] = []
  const text = attributes.get('text')
  const crlf = attributes.get('crlf')
  const eol = attributes.get('eol')
  // git_path_check_crlf: set, unset, "input" and "auto" decide; any other value counts as unspecified.
  const decides = (v: AttributeValue | undefined): boolean =>
    v === 'set' || v === 'unset' || v === 'input' || v === 'auto'
  const lineAttr = decides(text) ? 'text' : decides(crlf) ? 'crlf' : null
  const lineValue = lineAttr === 'text' ? text : lineAttr === 'crlf' ? crlf : undefined
  if (lineValue !== 'unset') {
    const eolValue = eol === 'lf' || eol === 'crlf' ? eol : null
    const parts: string[] = []
    const names: string[] = []
    if (lineAttr) {
      parts.push(lineValue === 'set' ? lineAttr : `${lineAttr}=${lineValue}`)
      names.push(lineAttr)
    }
    if (eolValue) {
      parts.push(`eol=${eolValue}`)
      names.push('eol')
    }
    if (parts.length > 0) out.push({ setting: parts.join(' '), attributes: names, rewrites: 'line endings' })
    else {
      const auto = autocrlf()
      if (auto !== 'false') out.push({ setting: `core.autocrlf=${auto}`, attributes: [], rewrites: 'line endings' })
    }
  }
  if (attributes.get('ident') === 'set')
    out.push({ setting: 'ident', attributes: ['ident'], rewrites: '$Id$ keywords' })
  const encoding = attributes.get('working-tree-encoding')
  // git_path_check_encoding: unset, empty and UTF-8 (or UTF8, any case) mean no conversion;
  // set and unset make git die, which is no better for a secret.
  if (SPECIFIED(encoding) && encoding !== '' && !/^utf-?8$/i.test(encoding)) {
    out.push({
      setting:
        encoding === 'set' || encoding === 'unset'
          ? `${encoding === 'set' ? '' : '-'}working-tree-encoding`
          : `working-tree-encoding=${encoding}`,
      attributes: ['working-tree-encoding'],
      rewrites: 'character encoding',
    })
  }
  return out
}

/**
 * The global attributes file: core.attributesFile, else $XDG_CONFIG_HOME/git/attributes (or
 * ~/.config/git/attributes); null when it does not exist.
 */
export function globalAttributesFile(root: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const configured = gitMaybe(['config', '--path', '--get', 'core.attributesFile'], { cwd: root, env })
  const file = configured || join(env['XDG_CONFIG_HOME'] || join(env['HOME'] ?? '', '.config'), 'git', 'attributes')
  return existsSync(file) ? file : null
}

/**
 * The attribute files git reads for a path that exist here, the strongest first:
 * `$GIT_COMMON_DIR/info/attributes`, then `.gitattributes` from the path's own directory up
 * to the top, then `globalFile`. `shown` is what to call each in a message (repo-relative
 * inside the work tree); `dir` is the directory its patterns are relative to ('' for the top).
 */
export function attributeFilesFor(
  root: string,
  commonDir: string,
  path: string,
  globalFile: string | null,
): { file: string; shown: string; dir: string }[] {
  const out: { file: string; shown: string; dir: string }[] = []
  const info = join(commonDir, 'info', 'attributes')
  if (existsSync(info))
    out.push({ file: info, shown: info.startsWith(root + '/') ? info.slice(root.length + 1) : info, dir: '' })
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const top = dir === '.' || dir === '/' || dir === ''
    const rel = top ? '.gitattributes' : `${dir}/.gitattributes`
    if (existsSync(join(root, rel))) out.push({ file: join(root, rel), shown: rel, dir: top ? '' : dir })
    if (top) break
  }
  if (globalFile) out.push({ file: globalFile, shown: globalFile, dir: '' })
  return out
}
