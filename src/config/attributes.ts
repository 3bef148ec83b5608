/**
 * The generated block in .gitattributes: the config is the single source of truth, the block
 * its projection. Everything outside the markers is kept byte for byte.
 * https://git-scm.com/docs/gitattributes
 */
import { CIPHERTEXT_FILTER, PLAINTEXT_FILTER } from '../git/install-table.js'
import { quotePattern } from './gitattributes-pattern.js'
import { NEVER_SECRET_PATTERNS } from './never-secret.js'
import type { SealConfig, WorktreeMode } from './schema.js'

export const BLOCK_BEGIN = '# BEGIN git-seal (generated from .gitseal.yaml by `git-seal sync`; do not edit)'
export const BLOCK_END = '# END git-seal'
/**
 * git rewrites a blob after clean and before smudge when `text` (or `crlf`, `eol`, autocrlf),
 * `ident` or `working-tree-encoding` apply: `-text`, `-ident` and `!working-tree-encoding` turn
 * all of them off for lines earlier in the same file (`eol` and `crlf` count only without `-text`).
 * Nested .gitattributes and .git/info/attributes still outrank the block: clean, smudge, the
 * guard and status check what really applies.
 */
const CONVERSIONS_OFF = '-text -ident !working-tree-encoding'
/**
 * `worktree: ciphertext` paths get a filter driver of their own: git leaves a file unfiltered
 * when its driver is not defined in a clone, so a clone whose git-seal predates the mode (a
 * host, CI) keeps their ciphertext instead of decrypting it. Diffs and merges are the same
 * drivers: textconv decrypts the ciphertext the ct driver checks out, and the merge driver gets
 * stored blobs either way.
 */
const SECRET_ATTRS: Record<WorktreeMode, string> = {
  plaintext: `filter=${PLAINTEXT_FILTER} diff=git-seal merge=git-seal ${CONVERSIONS_OFF}`,
  ciphertext: `filter=${CIPHERTEXT_FILTER} diff=git-seal merge=git-seal ${CONVERSIONS_OFF}`,
}
/** Files git, sops and git-seal read in plaintext are never encrypted, whatever a `**` rule says. */
const OVERRIDES = NEVER_SECRET_PATTERNS.map((p) => `${p} !filter !diff !merge`)

export { quotePattern }

export function renderAttributesBlock(config: SealConfig): string {
  const seen = new Set<string>()
  const lines = [BLOCK_BEGIN]
  for (const secret of config.secrets) {
    for (const pattern of secret.patterns) {
      if (seen.has(pattern)) continue
      seen.add(pattern)
      lines.push(`${quotePattern(pattern)} ${SECRET_ATTRS[secret.worktree]}`)
    }
    // A secret's excludes (examples, templates) right after its lines: within one file the later line wins.
    for (const pattern of secret.excludes) lines.push(`${quotePattern(pattern)} !filter !diff !merge`)
  }
  lines.push(...OVERRIDES, BLOCK_END)
  return lines.join('\n') + '\n'
}

interface Located {
  before: string
  after: string
  found: boolean
}

function locate(existing: string): Located {
  const begin = existing.search(/^# BEGIN git-seal\b.*$/m)
  if (begin < 0) return { before: existing, after: '', found: false }
  const endMatch = /^# END git-seal[^\n]*(\n|$)/m.exec(existing.slice(begin))
  const end = endMatch ? begin + endMatch.index + endMatch[0].length : existing.length
  return { before: existing.slice(0, begin), after: existing.slice(end), found: true }
}

/** True when text holds an attribute line (anything but blank lines and comments). */
function hasAttributeLines(text: string): boolean {
  return text.split(/\r?\n/).some((line) => line.trim() !== '' && !line.trimStart().startsWith('#'))
}

/**
 * `existing` with the block replaced, in the file's own line endings, and last: within one
 * file a later line wins, so a `* text eol=lf` after the block would rewrite the ciphertext.
 * Attribute lines after an existing block are moved before it; when only comments and blank
 * lines follow it, they stay where they are.
 */
export function updateAttributes(existing: string, config: SealConfig): string {
  const crlf = existing.includes('\r\n')
  const nl = crlf ? '\r\n' : '\n'
  let block = renderAttributesBlock(config)
  if (crlf) block = block.replace(/\n/g, '\r\n')
  const { before, after, found } = locate(existing)
  if (found && !hasAttributeLines(after)) return before + block + after
  const rest = found ? before + after : existing
  const sep = rest === '' || rest.endsWith('\n') ? '' : nl
  return rest + sep + block
}

export function attributesUpToDate(existing: string, config: SealConfig): boolean {
  return locate(existing).found && updateAttributes(existing, config) === existing
}

/**
 * What is wrong with the block in `existing`, for a message: missing, stale (it differs from
 * what the config renders), or followed by attribute lines that override it; null when none.
 */
export function attributesBlockProblem(existing: string, config: SealConfig): 'missing' | 'stale' | 'not-last' | null {
  const { found, after } = locate(existing)
  if (!found) return 'missing'
  let block = renderAttributesBlock(config)
  if (existing.includes('\r\n')) block = block.replace(/\n/g, '\r\n')
  if (!existing.includes(block)) return 'stale'
  return hasAttributeLines(after) ? 'not-last' : null
}
