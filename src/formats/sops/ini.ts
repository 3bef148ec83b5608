/**
 * The INI store (docs/sops-format.md §4 "INI", stores/ini/store.go), layout-preserving. Lines are read the way
 * sops's INI library (go-ini, default options) reads them, so sops sees the same values: keys
 * outside a section belong to `DEFAULT`; `=` or `:` separates key and value; the value is
 * trimmed, `#` or `;` anywhere in it starts a comment, surrounding quotes are stripped, and
 * `"""`/backtick quoting may span lines. Everything else on a line stays byte for byte. Comment
 * lines are encrypted one by one with their section as additional data. The metadata goes in a
 * `[sops]` section, flattened, newlines written as `\n`.
 */
import type { ParsedStore } from './engine.js'
import { SopsError } from './errors.js'
import { flattenMetadata, unflattenMetadata, type MetaTree } from './metadata.js'
import {
  applyEdits,
  CommentStack,
  newlineOf,
  type CommentSlot,
  type Edit,
  type Slot,
  type SlotOutput,
  type ValueSlot,
} from './tree.js'
import { flatValue } from './dotenv.js'
import { str } from './values.js'

const COMMENT_PREFIX = /^(;[; ]*|#[# ]*)/
const DEFAULT_SECTION = 'DEFAULT'

interface Line {
  start: number
  text: string
  n: number
}
interface ValuePlace {
  start: number
  end: number
  frame: string
}

/**
 * One line of a comment block: `char` is the offset of its `#`/`;`; `start`/`end` the range
 * that stands for it in the block's text (the first line without its comment characters, the
 * last line without trailing whitespace); `inline` when it follows a key or section header.
 */
interface CommentPart {
  char: number
  start: number
  end: number
  inline: boolean
  /**
   * Where go-ini would not read a ciphertext here: after a section header (the name runs to the
   * line's last `]`) or after a multi-line quoted value (one line once encrypted, and go-ini
   * ignores what follows a one-line quoted value). Encrypted, the part goes on a line of its own
   * inserted at this offset (the start of the header's or key's line).
   */
  movesTo?: number
}

/** A comment line or inline comment not yet attached to a key or section. */
interface PendingComment {
  char: number
  textStart: number
  lineEnd: number
  trimmedEnd: number
  inline: boolean
  movesTo?: number
  where: string
}

/** go-ini `hasSurroundedQuote`: the quote opens, closes and appears nowhere else. */
const surrounded = (v: string, q: string): boolean =>
  v.length >= 2 && v.startsWith(q) && v.endsWith(q) && v.indexOf(q, 1) === v.length - 1

/**
 * go-ini `readValue` for a one-line value that is not `"""`/backtick quoted, from its first
 * non-space character: the value, its surrounding quote, where a comment starts (-1: none);
 * null for a line continuation.
 */
function readLineValue(l: string): { value: string; frame: string; comment: number } | null {
  const t = l.trimEnd()
  if (t.endsWith('\\')) return null
  const comment = t.search(/[#;]/)
  const v = comment >= 0 ? t.slice(0, comment).trimEnd() : t
  const frame = surrounded(v, '"') ? '"' : surrounded(v, "'") ? "'" : ''
  return { value: v.slice(frame.length, v.length - frame.length), frame, comment }
}

/**
 * A value spelled so that go-ini reads it back unchanged when followed by `rest` (what follows
 * it on its line), inside its original quotes (`frame`) when it had some.
 */
export function iniValue(v: string, frame: string, rest = ''): string {
  if (frame !== '') return frame + v + frame
  const back = /^[\s]|^"""|^`|\n/.test(v) ? null : readLineValue(v + rest)
  if (back && back.value === v && back.frame === '') return v
  return !v.includes('\n') && !v.includes('`') ? `\`${v}\`` : `"""${v}"""`
}

class IniDocument implements ParsedStore {
  readonly slots: Slot[] = []
  readonly metadata: MetaTree | null = null
  readonly hasSopsKey: boolean = false
  private readonly values = new Map<Slot, ValuePlace>()
  /** each comment slot is a block of lines, as go-ini joins them (see the constructor) */
  private readonly comments = new Map<Slot, CommentPart[]>()
  /** sops's tree: sections, each a branch of [its comment], key, [the key's comment], key... */
  readonly commentStacks: ReadonlyMap<Slot, readonly CommentSlot[]>
  private sopsRange: [number, number] | null = null
  private readonly nl: string

  constructor(private readonly text: string) {
    this.nl = newlineOf(text)
    const lines: Line[] = []
    let offset = text.startsWith('\ufeff') ? 1 : 0
    text
      .slice(offset)
      .split('\n')
      .forEach((t, i) => {
        lines.push({ start: offset, text: t, n: i + 1 })
        offset += t.length + 1
      })
    let section = DEFAULT_SECTION
    // go-ini gathers every comment line (blank lines between them included) up to the next key
    // or section header, plus that line's inline comment, into ONE comment of that key or
    // section, first line stripped of its comment characters (sops's `stripCommentChar`), the
    // rest as they are, trailing whitespace trimmed. sops encrypts that as one value (and
    // decrypts only the first `ENC[...]` of a block), so a block is one slot here: its first line
    // carries the ciphertext, the others keep only their comment character.
    const stack = new CommentStack()
    this.commentStacks = stack.of
    stack.open() // DEFAULT
    let pending: PendingComment[] = []
    let keys = new Set<string>()
    const meta: [string, string][] = []
    /** `inTree`: sops sees the block (false: go-ini drops it, see `aside`) */
    const flush = (path: string[], inTree = true): void => {
      if (pending.length === 0) return
      const last = pending.length - 1
      const parts: CommentPart[] = pending.map((c, i) => {
        const end = i === last ? c.trimmedEnd : c.lineEnd
        return {
          char: c.char,
          start: Math.min(i === 0 ? c.textStart : c.char, end),
          end,
          inline: c.inline,
          ...(c.movesTo !== undefined ? { movesTo: c.movesTo } : {}),
        }
      })
      const slot: CommentSlot = {
        kind: 'comment',
        path,
        alternatives: [],
        text: parts.map((p) => this.text.slice(p.start, p.end)).join('\n'),
        where: pending[0]!.where,
      }
      this.slots.push(slot)
      this.comments.set(slot, parts)
      if (inTree) stack.comment(slot)
      else stack.aside(slot)
      pending = []
    }
    /** `raw`: from the comment character to the end of the line (without its `\n`). */
    const comment = (raw: string, at: number, where: string, inline: boolean, movesTo?: number): void => {
      const prefix = COMMENT_PREFIX.exec(raw)?.[0] ?? ''
      pending.push({
        char: at,
        textStart: at + prefix.length,
        lineEnd: at + raw.length,
        trimmedEnd: at + raw.trimEnd().length,
        inline,
        ...(movesTo !== undefined ? { movesTo } : {}),
        where,
      })
    }
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!
      const where = `line ${line.n}`
      const body = line.text.trimStart()
      const at = line.start + line.text.length - body.length
      if (body.trim() === '') continue
      if (body.startsWith('#') || body.startsWith(';')) {
        if (section !== 'sops') comment(body, at, where, false)
        continue
      }
      if (body.startsWith('[')) {
        const close = body.lastIndexOf(']')
        if (close < 0) throw new SopsError('parse', `${where}: unclosed section header`)
        const name = body.slice(1, close)
        keys = new Set()
        if (name === 'sops') {
          // comments before the metadata belong to the data before them (sops drops them)
          flush([section === 'sops' ? DEFAULT_SECTION : section], false)
          section = name
          this.hasSopsKey = true
          this.sopsRange = [line.start, line.start]
          continue
        }
        section = name
        stack.close()
        stack.spent()
        stack.open()
        const rest = body.slice(close + 1)
        const c = rest.search(/[#;]/)
        if (c >= 0) comment(rest.slice(c), at + close + 1 + c, where, true, line.start)
        flush([section])
        continue
      }
      const { key, valueAt } = this.keyOf(body, where)
      const i0 = i
      const parsed = this.valueOf(lines, i, at + valueAt, where)
      i = parsed.lastLine
      if (section === 'sops') {
        meta.push([key, parsed.value.replace(/\\n/g, '\n')])
        this.sopsRange![1] = lines[i]!.start + lines[i]!.text.trimEnd().length
        continue
      }
      if (keys.has(key))
        throw new SopsError(
          'unsupported',
          `${where}: key repeated in section [${section}] (sops would keep only the last)`,
        )
      keys.add(key)
      const slot: ValueSlot = {
        kind: 'value',
        path: [section, key],
        display: [section, key],
        value: str(parsed.value),
        where,
      }
      this.slots.push(slot)
      this.values.set(slot, parsed.place)
      stack.value(slot)
      stack.spent()
      // the comment of a key (the lines above it and its inline comment) follows it in sops's tree
      if (parsed.comment)
        comment(parsed.comment.text, parsed.comment.at, where, true, parsed.lastLine > i0 ? line.start : undefined)
      flush([section])
      if (parsed.ignored) {
        // after a quoted value go-ini ignores the rest of the line; a comment there is not
        // sops's to read, but it is still encrypted here (its own block)
        comment(parsed.ignored.text, parsed.ignored.at, where, true)
        flush([section], false)
      }
    }
    // comments after the last key are in no section for go-ini (sops drops them)
    flush([section === 'sops' ? DEFAULT_SECTION : section], false)
    if (meta.length > 0) this.metadata = unflattenMetadata(meta)
  }

  /** go-ini `readKeyName`: a key, optionally quoted, before the first `=` or `:`. */
  private keyOf(body: string, where: string): { key: string; valueAt: number } {
    const q = body.startsWith('`') ? '`' : body.startsWith('"') ? '"' : ''
    const from = q ? body.indexOf(q, 1) : 0
    if (q && from < 0) throw new SopsError('parse', `${where}: missing closing quote of a key`)
    const d = body.slice(from).search(/[=:]/)
    if (d < 0)
      throw new SopsError('parse', `${where}: not "key = value", a [section] or a comment (sops rejects such lines)`)
    const key = (q ? body.slice(1, from) : body.slice(0, d)).trim()
    if (!q && d === 0) throw new SopsError('parse', `${where}: empty key`)
    return { key, valueAt: from + d + 1 }
  }

  /** go-ini `readValue` from `start` on line `i`. */
  private valueOf(
    lines: Line[],
    i: number,
    start: number,
    where: string,
  ): {
    value: string
    place: ValuePlace
    lastLine: number
    comment?: { text: string; at: number }
    ignored?: { text: string; at: number }
  } {
    const line = lines[i]!
    const rest = this.text.slice(start, line.start + line.text.length)
    const lead = rest.length - rest.trimStart().length
    const v0 = start + lead
    const l = rest.trimStart()
    const q = l.length > 3 && l.startsWith('"""') ? '"""' : l.startsWith('`') ? '`' : ''
    /** a comment in what follows the closing quote at `from` on a line ending at `lineEnd` */
    const after = (from: number, lineEnd: number): { text: string; at: number } | undefined => {
      const tail = this.text.slice(from, lineEnd)
      const c = tail.search(/[#;]/)
      return c < 0 ? undefined : { text: tail.slice(c).trimEnd(), at: from + c }
    }
    if (q) {
      const close = l.lastIndexOf(q)
      if (close >= q.length) {
        // go-ini returns the quoted value and ignores the rest of a one-line quoted value
        const ignored = after(v0 + close + q.length, line.start + line.text.length)
        return {
          value: l.slice(q.length, close),
          place: { start: v0 + q.length, end: v0 + close, frame: q },
          lastLine: i,
          ...(ignored ? { ignored } : {}),
        }
      }
      for (let j = i + 1; j < lines.length; j++) {
        const next = lines[j]!
        const c = next.text.lastIndexOf(q)
        if (c >= 0) {
          // a comment after a closing quote on a later line joins the key's comment (readMultilines)
          const end = next.start + c
          const comment = after(end + q.length, next.start + next.text.length)
          return {
            value: this.text.slice(v0 + q.length, end),
            place: { start: v0 + q.length, end, frame: q },
            lastLine: j,
            ...(comment ? { comment } : {}),
          }
        }
      }
      throw new SopsError('parse', `${where}: quoted value is never closed`)
    }
    const read = readLineValue(l)
    if (read === null)
      throw new SopsError(
        'unsupported',
        `${where}: a value ending in a backslash continues on the next line in INI, which is not supported`,
      )
    const { value, frame, comment } = read
    const place = { start: v0 + frame.length, end: v0 + frame.length + value.length, frame }
    return {
      value,
      place,
      lastLine: i,
      ...(comment >= 0 ? { comment: { text: l.trimEnd().slice(comment), at: v0 + comment } } : {}),
    }
  }

  emit(outputs: ReadonlyMap<Slot, SlotOutput>, metadata: MetaTree | null): string {
    const edits: Edit[] = []
    for (const [slot, place] of this.values) {
      const out = outputs.get(slot)
      if (!out) continue
      const lineEnd = this.text.indexOf('\n', place.end)
      const rest = this.text.slice(place.end + place.frame.length, lineEnd < 0 ? this.text.length : lineEnd)
      const text =
        'enc' in out ? out.enc : place.frame ? flatValue(out.plain) : iniValue(flatValue(out.plain), '', rest)
      edits.push({ start: place.start, end: place.end, text })
    }
    for (const [slot, parts] of this.comments) {
      const out = outputs.get(slot)
      if (out) edits.push(...this.commentEdits(parts, 'enc' in out ? { enc: out.enc } : { plain: out.plain.text }))
    }
    let at = this.text.length
    if (this.sopsRange) {
      const [start, end] = this.sectionRange(this.sopsRange)
      edits.push({ start, end, text: '' })
      at = end
    }
    if (metadata) {
      const lines = [
        '[sops]',
        ...flattenMetadata(metadata, '').map(([k, v]) => `${k} = ${iniValue(v.replace(/\n/g, '\\n'), '')}`),
      ]
      edits.push({ start: at, end: at, text: (before) => this.appended(before, lines) })
    }
    return applyEdits(this.text, edits)
  }

  /**
   * A comment block written back. Encrypted: the ciphertext on the first line, the comment
   * character alone on the others. Decrypted: one line of the text per line of the block (as
   * this module writes blocks); a text with another number of lines (sops writes a block as one
   * `; ENC[...]` line) is laid out from the first line on, one line each, as `sops -d` does.
   */
  private commentEdits(parts: readonly CommentPart[], out: { enc: string } | { plain: string }): Edit[] {
    const first = parts[0]!
    const char = (p: CommentPart): string => this.text[p.char] ?? ';'
    // one line per line of the block: as it is; more or fewer: as go-ini writes them (`sops -d`)
    const asComment = (l: string): string => (/^[#;]/.test(l) ? l : `; ${l.trim()}`)
    const asGoIni = (l: string): string => (/^[#;]/.test(l) ? `${l[0]} ${l.slice(1).trim()}` : `; ${l.trim()}`)
    const lineStart = this.text.lastIndexOf('\n', first.char - 1) + 1
    const indent = /^[ \t]*/.exec(this.text.slice(lineStart))?.[0] ?? ''
    if ('enc' in out) {
      return parts.flatMap((p, i) => {
        // where go-ini would not read it (see `movesTo`), the ciphertext goes on a line of its own (a normalisation)
        if (p.movesTo === undefined) return [{ start: p.start, end: p.end, text: i === 0 ? out.enc : char(p) }]
        const cut = { start: this.text.slice(0, p.char).trimEnd().length, end: p.end, text: '' }
        if (i > 0) return [cut]
        const lead = /^[ \t]*/.exec(this.text.slice(p.movesTo))?.[0] ?? ''
        return [{ start: p.movesTo, end: p.movesTo, text: `${lead}${char(p)} ${out.enc}${this.nl}` }, cut]
      })
    }
    const lines = out.plain.split('\n')
    if (lines.length === parts.length)
      return parts.map((p, i) => ({
        start: p.start,
        end: p.end,
        text: i === 0 ? (lines[0] ?? '') : asComment(lines[i] ?? ''),
      }))
    const rest = lines
      .slice(1)
      .map((l) => this.nl + indent + asGoIni(l))
      .join('')
    const edits: Edit[] = []
    if (first.inline) {
      // only an inline comment: the lines go above the key, the inline comment goes
      const from = this.text.slice(0, first.char).trimEnd().length
      edits.push(
        { start: lineStart, end: lineStart, text: `${indent}${char(first)} ${lines[0] ?? ''}${rest}${this.nl}` },
        { start: from, end: first.end, text: '' },
      )
    } else edits.push({ start: first.start, end: first.end, text: (lines[0] ?? '') + rest })
    for (const p of parts.slice(1)) {
      if (p.inline) edits.push({ start: this.text.slice(0, p.char).trimEnd().length, end: p.end, text: '' })
      else {
        const start = this.text.lastIndexOf('\n', p.char - 1) + 1
        const nl = this.text.indexOf('\n', p.end)
        edits.push({ start, end: nl < 0 ? this.text.length : nl + 1, text: '' })
      }
    }
    return edits
  }

  /** The `[sops]` section goes last, after a blank line (as sops writes it). */
  private appended(before: string, lines: string[]): string {
    const nl = this.nl
    const body = lines.join(nl)
    if (before === '') return body + nl
    return before.endsWith('\n') ? nl + body + nl : nl + nl + body
  }

  /** The inverse of `appended`, from the section's header line start and its last text. */
  private sectionRange([start, end]: [number, number]): [number, number] {
    const nl = this.nl
    const blankBefore =
      start >= nl.length &&
      this.text.startsWith(nl, start - nl.length) &&
      (start === nl.length || this.text.startsWith(nl, start - 2 * nl.length))
    if (this.text.startsWith(nl, end)) return [blankBefore ? start - nl.length : start, end + nl.length]
    return [start >= 2 * nl.length ? start - 2 * nl.length : start, end]
  }
}

/** Parses an INI document. @throws {SopsError} 'parse' for lines go-ini rejects, 'unsupported' for repeated keys and line continuations. */
export function parseIni(text: string): ParsedStore & { hasSopsKey: boolean } {
  return new IniDocument(text)
}
