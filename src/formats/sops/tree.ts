/**
 * The store-independent view of a document that sops's `Tree` walk sees (sops.go `walkBranch`):
 * leaf values in document order with their chain of mapping keys, plus comments. Each store
 * parses its syntax into these slots and later renders replacements for them in place, so the
 * user's layout survives; the rules that pick what is encrypted live here too (docs/sops-format.md §1 "Which
 * values are encrypted").
 */
import { SopsError } from './errors.js'
import type { Typed } from './values.js'

/** A leaf value (null leaves are never visited by sops, so they have no slot). */
export interface ValueSlot {
  readonly kind: 'value'
  /** mapping keys from the root; list indices are never part of it (docs/sops-format.md §1 "Additional data") */
  readonly path: readonly string[]
  /** the same with list indices, for display */
  readonly display: readonly (string | number)[]
  /** the value as it is in the document: for an encrypted value, the `ENC[...]` string */
  readonly value: Typed
  /** where it is, for messages: `line 4` */
  readonly where: string
  /** directly an item of a YAML sequence, where sops stores a comment as `- ENC[...,type:comment]` */
  readonly listItem?: boolean
}

/** A comment line; `text` is what follows the comment character (sops encrypts exactly that). */
export interface CommentSlot {
  readonly kind: 'comment'
  readonly path: readonly string[]
  /** other paths sops may have used as additional data (YAML's comment placement is heuristic) */
  readonly alternatives: readonly (readonly string[])[]
  /** the last resort: every path of the document (shared by its comments) */
  readonly fallback?: readonly (readonly string[])[]
  readonly text: string
  readonly where: string
  /**
   * Where sops's tree has it is not certain (YAML comments placed unusually). 'inert': it is
   * after the last item of whatever mapping or list it is in, so no value is under it; 'open':
   * values may be. Comment-regex rules treat it apart (engine.ts `sealSlots`).
   */
  readonly uncertain?: 'inert' | 'open'
}

export type Slot = ValueSlot | CommentSlot

/**
 * What a store writes in place of a slot: a sealed `ENC[...]` string, or a plaintext value;
 * `asComment`: a `listItem` value that decrypted to a comment, written back as a comment line.
 */
export type SlotOutput = { readonly enc: string } | { readonly plain: Typed; readonly asComment?: true }

/** sops's additional data for a path: keys joined by `:` with a trailing `:` (`a:b:`, top level `:`). */
export const additionalData = (path: readonly string[]): string => `${path.join(':')}:`

/** sops's `--extract` syntax for a display path: `["a"]["b"][0]`. */
export const extractPath = (display: readonly (string | number)[]): string =>
  display.map((p) => (typeof p === 'number' ? `[${p}]` : `[${JSON.stringify(p)}]`)).join('')

/** The encryption rules in force, at most one of the selectors set (sops rejects more). */
export interface EffectiveRules {
  readonly unencryptedSuffix?: string
  readonly encryptedSuffix?: string
  readonly unencryptedRegex?: RegExp
  readonly encryptedRegex?: RegExp
  readonly unencryptedCommentRegex?: RegExp
  readonly encryptedCommentRegex?: RegExp
  readonly macOnlyEncrypted: boolean
}

/** Whether the rules select by comments, so that each slot's comment stack counts. */
export const usesComments = (rules: EffectiveRules): boolean =>
  rules.unencryptedCommentRegex !== undefined || rules.encryptedCommentRegex !== undefined

/**
 * sops's comment stack (sops.go `walkBranch` / `walkSlice`), kept while a store visits its tree
 * in sops's order: one level per mapping or list being walked, each holding the comments met at
 * that level since its last item. A value is under every comment of every level; a comment is
 * under those and itself (sops pushes it before visiting it). Comment-regex rules read it.
 */
export class CommentStack {
  private readonly levels: CommentSlot[][] = [[]]
  readonly of = new Map<Slot, readonly CommentSlot[]>()

  /** entering a mapping or list */
  open(): void {
    this.levels.push([])
  }

  /** leaving it */
  close(): void {
    this.levels.pop()
  }

  /** a comment at the current level */
  comment(slot: CommentSlot): void {
    this.levels[this.levels.length - 1]!.push(slot)
    this.of.set(slot, this.levels.flat())
  }

  /** a comment outside sops's tree (go-ini drops it): under the current comments, counted for nothing after it */
  aside(slot: CommentSlot): void {
    this.of.set(slot, [...this.levels.flat(), slot])
  }

  /** a value at the current level (it is not an item yet: call `spent` after it) */
  value(slot: ValueSlot): void {
    this.of.set(slot, this.levels.flat())
  }

  /** after an item (a value, or a mapping or list once walked): its level's comments are spent */
  spent(): void {
    this.levels[this.levels.length - 1] = []
  }
}

/**
 * An RE2 pattern (what sops's Go `regexp` takes) as a JS RegExp. The common syntax is shared;
 * the few RE2-only spellings people write in `.sops.yaml` are translated.
 * @throws {SopsError} 'unsupported' when the pattern cannot be expressed.
 */
export function compileRe2(pattern: string, what: string): RegExp {
  let source = pattern
  let flags = ''
  const inline = /^\(\?([imsU]+)\)/.exec(source)
  if (inline) {
    if ((inline[1] ?? '').includes('U')) throw new SopsError('unsupported', `${what}: the (?U) flag is not supported`)
    flags = [...new Set(inline[1])].join('')
    source = source.slice(inline[0].length)
  }
  source = source
    .replace(/\(\?P</g, '(?<')
    .replace(/\\A/g, '^')
    .replace(/\\z/g, '$')
  for (const f of [`${flags}u`, flags]) {
    try {
      return new RegExp(source, f)
    } catch {
      // retry without the unicode flag: it rejects some escapes RE2 accepts
    }
  }
  throw new SopsError('unsupported', `${what}: not a regular expression this tool understands`)
}

/**
 * sops `Tree.shouldBeEncrypted`. `comments`: the texts of the comments the slot is under, as
 * sops sees them at that moment (plaintext when encrypting, as stored when decrypting), the
 * slot's own text last when `isComment` (encrypted_comment_regex does not count a comment's own
 * match: the comment that turns encryption on stays readable).
 */
export function shouldEncrypt(
  path: readonly string[],
  rules: EffectiveRules,
  comments: readonly string[] = [],
  isComment = false,
): boolean {
  const {
    unencryptedSuffix: us,
    encryptedSuffix: es,
    unencryptedRegex: ur,
    encryptedRegex: er,
    unencryptedCommentRegex: ucr,
    encryptedCommentRegex: ecr,
  } = rules
  if (us !== undefined && us !== '' && path.some((k) => k.endsWith(us))) return false
  if (es !== undefined && es !== '') return path.some((k) => k.endsWith(es))
  if (ur && path.some((k) => ur.test(k))) return false
  if (er) return path.some((k) => er.test(k))
  if (ucr && comments.some((c) => ucr.test(c))) return false
  if (ecr) return (isComment ? comments.slice(0, -1) : comments).some((c) => ecr.test(c))
  return true
}

/** A replacement of `src[start, end)`; `text` may depend on the output written so far. */
export interface Edit {
  readonly start: number
  readonly end: number
  readonly text: string | ((before: string) => string)
}

/** Applies non-overlapping edits (insertions at one point apply in the order given). */
export function applyEdits(src: string, edits: readonly Edit[]): string {
  const sorted = edits.map((e, i) => ({ e, i })).sort((a, b) => a.e.start - b.e.start || a.e.end - b.e.end || a.i - b.i)
  let out = ''
  let cursor = 0
  for (const { e } of sorted) {
    if (e.start < cursor) throw new Error(`internal: overlapping edits at ${e.start}`)
    out += src.slice(cursor, e.start)
    out += typeof e.text === 'string' ? e.text : e.text(out)
    cursor = e.end
  }
  return out + src.slice(cursor)
}

/** Line numbers (1-based) and columns (0-based) of offsets in a text. */
export class LineIndex {
  private readonly starts: number[] = [0]

  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1)
  }

  /** 1-based line of an offset. */
  line(offset: number): number {
    let lo = 0
    let hi = this.starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if ((this.starts[mid] ?? 0) <= offset) lo = mid
      else hi = mid - 1
    }
    return lo + 1
  }

  /** offset of the start of a 1-based line; null past the end */
  startOfLine(line: number): number | null {
    return this.starts[line - 1] ?? null
  }

  lineStart(offset: number): number {
    return this.starts[this.line(offset) - 1] ?? 0
  }

  col(offset: number): number {
    return offset - this.lineStart(offset)
  }

  where(offset: number): string {
    return `line ${this.line(offset)}`
  }
}

/**
 * The newline a text uses: CRLF when most of its line breaks are CRLF. A majority, because the
 * appended metadata must not tip it: lines added with the chosen newline keep the same answer
 * when the encrypted text is read back.
 */
export function newlineOf(text: string): string {
  const crlf = text.split('\r\n').length - 1
  const lf = text.split('\n').length - 1 - crlf
  return crlf > lf ? '\r\n' : '\n'
}

/** Sets an own property, even one named `__proto__` (keys come from the user's file). */
export function setOwn<T>(target: Record<string, T> | T[], key: string | number, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
}

/**
 * Text for appending a block of lines at the end of a document so that removing it restores the
 * document byte for byte: after a final newline (or at the very start) the block ends with a
 * newline; after a last line without one, it starts with a newline and ends without.
 */
export function appendedBlock(before: string, lines: readonly string[], nl: string): string {
  const body = lines.join(nl)
  return before === '' || before.endsWith('\n') ? body + nl : nl + body
}

/**
 * The inverse of `appendedBlock`: given the block's first line start and the end of its last
 * line's text, the range to delete.
 */
export function appendedBlockRange(text: string, start: number, end: number, nl: string): [number, number] {
  if (text.startsWith(nl, end)) return [start, end + nl.length]
  const s = start >= nl.length && text.startsWith(nl, start - nl.length) ? start - nl.length : start
  return [s, end]
}
