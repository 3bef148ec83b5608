/**
 * The INI store (spec §4 "INI", stores/ini/store.go), layout-preserving. Lines are read the way
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
import { applyEdits, newlineOf, type CommentSlot, type Edit, type Slot, type SlotOutput, type ValueSlot } from './tree.js'
import { flatValue } from './dotenv.js'
import { str } from './values.js'

const COMMENT_PREFIX = /^(;[; ]*|#[# ]*)/
const DEFAULT_SECTION = 'DEFAULT'

interface Line { start: number; text: string; n: number }
interface ValuePlace { start: number; end: number; frame: string }

/** go-ini `hasSurroundedQuote`: the quote opens, closes and appears nowhere else. */
const surrounded = (v: string, q: string): boolean => v.length >= 2 && v.startsWith(q) && v.endsWith(q) && v.indexOf(q, 1) === v.length - 1

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
  private readonly comments = new Map<Slot, [number, number]>()
  private sopsRange: [number, number] | null = null
  private readonly nl: string

  constructor(private readonly text: string) {
    this.nl = newlineOf(text)
    const lines: Line[] = []
    let offset = text.startsWith('\ufeff') ? 1 : 0
    text.slice(offset).split('\n').forEach((t, i) => {
      lines.push({ start: offset, text: t, n: i + 1 })
      offset += t.length + 1
    })
    let section = DEFAULT_SECTION
    let pending: { text: string; where: string; range: [number, number] }[] = []
    let keys = new Set<string>()
    const meta: [string, string][] = []
    const flush = (path: string[]): void => {
      for (const c of pending) {
        const slot: CommentSlot = { kind: 'comment', path, alternatives: [], text: c.text, where: c.where }
        this.slots.push(slot)
        this.comments.set(slot, c.range)
      }
      pending = []
    }
    const comment = (raw: string, at: number, where: string): void => {
      const prefix = COMMENT_PREFIX.exec(raw)?.[0] ?? ''
      const body = raw.trimEnd().slice(prefix.length)
      pending.push({ text: body, where, range: [at + prefix.length, at + prefix.length + body.length] })
    }
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!
      const where = `line ${line.n}`
      const body = line.text.trimStart()
      const at = line.start + line.text.length - body.length
      if (body.trim() === '') continue
      if (body.startsWith('#') || body.startsWith(';')) {
        if (section !== 'sops') comment(body, at, where)
        continue
      }
      if (body.startsWith('[')) {
        const close = body.lastIndexOf(']')
        if (close < 0) throw new SopsError('parse', `${where}: unclosed section header`)
        const name = body.slice(1, close)
        keys = new Set()
        if (name === 'sops') {
          // comments before the metadata belong to the data before them (sops drops them)
          flush([section === 'sops' ? DEFAULT_SECTION : section])
          section = name
          this.hasSopsKey = true
          this.sopsRange = [line.start, line.start]
          continue
        }
        section = name
        const rest = body.slice(close + 1)
        const c = rest.search(/[#;]/)
        if (c >= 0) comment(rest.slice(c), at + close + 1 + c, where)
        flush([section])
        continue
      }
      const { key, valueAt } = this.keyOf(body, where)
      const parsed = this.valueOf(lines, i, at + valueAt, where)
      i = parsed.lastLine
      if (section === 'sops') {
        meta.push([key, parsed.value.replace(/\\n/g, '\n')])
        this.sopsRange![1] = lines[i]!.start + lines[i]!.text.trimEnd().length
        continue
      }
      if (keys.has(key)) throw new SopsError('unsupported', `${where}: key repeated in section [${section}] (sops would keep only the last)`)
      keys.add(key)
      flush([section])
      const slot: ValueSlot = { kind: 'value', path: [section, key], display: [section, key], value: str(parsed.value), where }
      this.slots.push(slot)
      this.values.set(slot, parsed.place)
      if (parsed.comment) comment(parsed.comment.text, parsed.comment.at, where)
    }
    flush([section === 'sops' ? DEFAULT_SECTION : section])
    if (meta.length > 0) this.metadata = unflattenMetadata(meta)
  }

  /** go-ini `readKeyName`: a key, optionally quoted, before the first `=` or `:`. */
  private keyOf(body: string, where: string): { key: string; valueAt: number } {
    const q = body.startsWith('`') ? '`' : body.startsWith('"') ? '"' : ''
    const from = q ? body.indexOf(q, 1) : 0
    if (q && from < 0) throw new SopsError('parse', `${where}: missing closing quote of a key`)
    const d = body.slice(from).search(/[=:]/)
    if (d < 0) throw new SopsError('parse', `${where}: not "key = value", a [section] or a comment (sops rejects such lines)`)
    const key = (q ? body.slice(1, from) : body.slice(0, d)).trim()
    if (!q && d === 0) throw new SopsError('parse', `${where}: empty key`)
    return { key, valueAt: from + d + 1 }
  }

  /** go-ini `readValue` from `start` on line `i`. */
  private valueOf(lines: Line[], i: number, start: number, where: string): { value: string; place: ValuePlace; lastLine: number; comment?: { text: string; at: number } } {
    const line = lines[i]!
    const rest = this.text.slice(start, line.start + line.text.length)
    const lead = rest.length - rest.trimStart().length
    const v0 = start + lead
    const l = rest.trimStart()
    const q = l.length > 3 && l.startsWith('"""') ? '"""' : l.startsWith('`') ? '`' : ''
    if (q) {
      const close = l.lastIndexOf(q)
      if (close >= q.length) return { value: l.slice(q.length, close), place: { start: v0 + q.length, end: v0 + close, frame: q }, lastLine: i }
      for (let j = i + 1; j < lines.length; j++) {
        const next = lines[j]!
        const c = next.text.lastIndexOf(q)
        if (c >= 0) {
          const end = next.start + c
          return { value: this.text.slice(v0 + q.length, end), place: { start: v0 + q.length, end, frame: q }, lastLine: j }
        }
      }
      throw new SopsError('parse', `${where}: quoted value is never closed`)
    }
    const read = readLineValue(l)
    if (read === null) throw new SopsError('unsupported', `${where}: a value ending in a backslash continues on the next line in INI, which is not supported`)
    const { value, frame, comment } = read
    const place = { start: v0 + frame.length, end: v0 + frame.length + value.length, frame }
    return { value, place, lastLine: i, ...(comment >= 0 ? { comment: { text: l.trimEnd().slice(comment), at: v0 + comment } } : {}) }
  }

  emit(outputs: ReadonlyMap<Slot, SlotOutput>, metadata: MetaTree | null): string {
    const edits: Edit[] = []
    for (const [slot, place] of this.values) {
      const out = outputs.get(slot)
      if (!out) continue
      const lineEnd = this.text.indexOf('\n', place.end)
      const rest = this.text.slice(place.end + place.frame.length, lineEnd < 0 ? this.text.length : lineEnd)
      const text = 'enc' in out ? out.enc : place.frame ? flatValue(out.plain) : iniValue(flatValue(out.plain), '', rest)
      edits.push({ start: place.start, end: place.end, text })
    }
    for (const [slot, [start, end]] of this.comments) {
      const out = outputs.get(slot)
      if (out) edits.push({ start, end, text: 'enc' in out ? out.enc : out.plain.text })
    }
    let at = this.text.length
    if (this.sopsRange) {
      const [start, end] = this.sectionRange(this.sopsRange)
      edits.push({ start, end, text: '' })
      at = end
    }
    if (metadata) {
      const lines = ['[sops]', ...flattenMetadata(metadata, '').map(([k, v]) => `${k} = ${iniValue(v.replace(/\n/g, '\\n'), '')}`)]
      edits.push({ start: at, end: at, text: (before) => this.appended(before, lines) })
    }
    return applyEdits(this.text, edits)
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
    const blankBefore = start >= nl.length && this.text.startsWith(nl, start - nl.length) && (start === nl.length || this.text.startsWith(nl, start - 2 * nl.length))
    if (this.text.startsWith(nl, end)) return [blankBefore ? start - nl.length : start, end + nl.length]
    return [start >= 2 * nl.length ? start - 2 * nl.length : start, end]
  }
}

/** Parses an INI document. @throws {SopsError} 'parse' for lines go-ini rejects, 'unsupported' for repeated keys and line continuations. */
export function parseIni(text: string): ParsedStore & { hasSopsKey: boolean } {
  return new IniDocument(text)
}
