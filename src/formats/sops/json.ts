/**
 * The JSON store (docs/sops-format.md §4 "JSON", stores/json/store.go), layout-preserving: a small parser that
 * keeps every token's position, so values are replaced in place and the user's indentation,
 * key order and spacing stay. Numbers are typed as sops 3.13 does (int when it fits int64, else
 * float), except that integers beyond int64 are kept as strings (sops would lose digits).
 */
import type { ParsedStore } from './engine.js'
import { SopsError } from './errors.js'
import type { MetaTree, MetaValue } from './metadata.js'
import { applyEdits, LineIndex, type Edit, type Slot, type SlotOutput, type ValueSlot } from './tree.js'
import { formatGoFloat, formatJsonFloat, inInt64, str, type Typed } from './values.js'

export type JsonNode =
  | { kind: 'object'; start: number; end: number; members: JsonMember[] }
  | { kind: 'array'; start: number; end: number; items: JsonNode[] }
  | { kind: 'string'; start: number; end: number; value: string }
  | { kind: 'number'; start: number; end: number; raw: string }
  | { kind: 'literal'; start: number; end: number; value: boolean | null }
export interface JsonMember {
  key: string
  keyStart: number
  value: JsonNode
}

const ESCAPE = new Map(Object.entries({ '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }))

/** A strict JSON parser (RFC 8259) recording positions. @throws {SopsError} 'parse' naming line and column. */
export function parseJsonTree(text: string): JsonNode {
  const lines = new LineIndex(text)
  let pos = 0
  const fail = (what: string): never => {
    throw new SopsError('parse', `JSON syntax error at ${lines.where(pos)}, column ${lines.col(pos) + 1}: ${what}`)
  }
  const ws = (): void => {
    while (pos < text.length && ' \t\n\r'.includes(text[pos] ?? '')) pos++
  }
  const string = (): string => {
    let out = ''
    pos++
    for (;;) {
      const c = text[pos]
      if (c === undefined) return fail('unterminated string')
      if (c === '"') break
      if (c < ' ') return fail('control character in a string')
      if (c !== '\\') {
        out += c
        pos++
        continue
      }
      const e = text[pos + 1] ?? ''
      if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(pos + 2, pos + 6))) {
        out += String.fromCharCode(parseInt(text.slice(pos + 2, pos + 6), 16))
        pos += 6
      } else if (ESCAPE.has(e)) {
        out += ESCAPE.get(e)
        pos += 2
      } else return fail('bad escape in a string')
    }
    pos++
    return out
  }
  const value = (depth: number): JsonNode => {
    if (depth > 500) fail('nested too deeply')
    ws()
    const start = pos
    const c = text[pos]
    if (c === '{' || c === '[') {
      pos++
      const members: JsonMember[] = []
      const items: JsonNode[] = []
      ws()
      const close = c === '{' ? '}' : ']'
      if (text[pos] !== close) {
        for (;;) {
          if (c === '{') {
            ws()
            if (text[pos] !== '"') fail('expected a key')
            const keyStart = pos
            const key = string()
            ws()
            if (text[pos] !== ':') fail("expected ':'")
            pos++
            members.push({ key, keyStart, value: value(depth + 1) })
          } else items.push(value(depth + 1))
          ws()
          if (text[pos] === ',') pos++
          else if (text[pos] === close) break
          else fail(`expected ',' or '${close}'`)
        }
      }
      pos++
      return c === '{' ? { kind: 'object', start, end: pos, members } : { kind: 'array', start, end: pos, items }
    }
    if (c === '"') {
      const v = string()
      return { kind: 'string', start, end: pos, value: v }
    }
    const num = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
    num.lastIndex = pos
    const m = num.exec(text)
    if (m && m[0] !== '' && m[0] !== '-') {
      pos += m[0].length
      return { kind: 'number', start, end: pos, raw: m[0] }
    }
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, pos)) {
        pos += word.length
        return { kind: 'literal', start, end: pos, value: v }
      }
    }
    return fail('expected a value')
  }
  const root = value(0)
  ws()
  if (pos < text.length) fail('unexpected text after the document')
  return root
}

/**
 * sops 3.13 `normalizeJSONNumber`, but an integer beyond int64 is encrypted as a string (docs/sops-format.md §4
 * "JSON": as a float sops would lose digits); left unencrypted it stays as written and the MAC
 * hashes the float sops reads. A number beyond float64, which sops cannot load, is a string.
 */
function typedNumber(raw: string): Typed {
  const f = Number(raw)
  const float: Typed | null = Number.isFinite(f) ? { type: 'float', text: formatGoFloat(f) } : null
  if (/^-?\d+$/.test(raw)) {
    const v = BigInt(raw)
    if (inInt64(v)) return { type: 'int', text: v.toString() }
    return float ? { ...str(raw), plainAs: float } : { ...str(raw), quoteWhenPlain: true }
  }
  return float ?? { ...str(raw), quoteWhenPlain: true }
}

/**
 * A decrypted value as sops's JSON store prints it (Go's encoding/json): an integral float as an
 * integer (`7`, which reads back as an int: re-encryption keeps the stored float type, engine.ts).
 */
export function jsonLiteral(t: Typed): string {
  if (t.type === 'int' || t.type === 'bool') return t.type === 'bool' ? (t.text === 'True' ? 'true' : 'false') : t.text
  if (t.type === 'float' && /^[-+]?\d/.test(t.text)) return formatJsonFloat(Number(t.text))
  return JSON.stringify(t.text)
}

export function metaFromJson(node: JsonNode): MetaValue {
  switch (node.kind) {
    case 'object':
      return Object.fromEntries(node.members.map((m) => [m.key, metaFromJson(m.value)]))
    case 'array':
      return node.items.map(metaFromJson)
    case 'string':
      return node.value
    case 'number':
      return Number(node.raw)
    default:
      return node.value
  }
}

/** JSON for a metadata value: one line when `unit` is null, else indented from `level`. */
export function metaToJson(v: MetaValue, unit: string | null, level: number, nl: string): string {
  if (typeof v !== 'object' || v === null) return JSON.stringify(v)
  const entries: [string | null, MetaValue][] = Array.isArray(v) ? v.map((x) => [null, x]) : Object.entries(v)
  const [open, close] = Array.isArray(v) ? ['[', ']'] : ['{', '}']
  if (entries.length === 0) return open + close
  const parts = entries.map(
    ([k, x]) => `${k === null ? '' : `${JSON.stringify(k)}: `}${metaToJson(x, unit, level + 1, nl)}`,
  )
  if (unit === null) return `${open}${parts.join(', ')}${close}`
  const pad = nl + unit.repeat(level + 1)
  return `${open}${pad}${parts.join(`,${pad}`)}${nl}${unit.repeat(level)}${close}`
}

interface JsonPlace {
  node: JsonNode
}

class JsonDocument implements ParsedStore {
  readonly slots: Slot[] = []
  readonly metadata: MetaTree | null = null
  readonly hasSopsKey: boolean
  private readonly places = new Map<ValueSlot, JsonPlace>()
  private readonly root: Extract<JsonNode, { kind: 'object' }>
  private readonly lines: LineIndex

  constructor(private readonly text: string) {
    this.lines = new LineIndex(text)
    const root = parseJsonTree(text)
    if (root.kind !== 'object') throw new SopsError('unsupported', 'sops needs a JSON object at the top level')
    this.root = root
    const sops = root.members.find((m) => m.key === 'sops')
    this.hasSopsKey = sops !== undefined
    if (sops?.value.kind === 'object') this.metadata = metaFromJson(sops.value) as MetaTree
    for (const m of root.members) if (m.key !== 'sops') this.walk(m.value, [m.key], [m.key])
  }

  private walk(node: JsonNode, path: string[], display: (string | number)[]): void {
    if (node.kind === 'object') for (const m of node.members) this.walk(m.value, [...path, m.key], [...display, m.key])
    else if (node.kind === 'array') {
      node.items.forEach((item, i) => {
        this.walk(item, path, [...display, i])
      })
    } else if (!(node.kind === 'literal' && node.value === null)) {
      const value =
        node.kind === 'string'
          ? str(node.value)
          : node.kind === 'number'
            ? typedNumber(node.raw)
            : { type: 'bool' as const, text: node.value ? 'True' : 'False' }
      const slot: ValueSlot = { kind: 'value', path, display, value, where: this.lines.where(node.start) }
      this.slots.push(slot)
      this.places.set(slot, { node })
    }
  }

  emit(outputs: ReadonlyMap<Slot, SlotOutput>, metadata: MetaTree | null): string {
    const edits: Edit[] = []
    for (const [slot, { node }] of this.places) {
      const out = outputs.get(slot)
      if (out)
        edits.push({
          start: node.start,
          end: node.end,
          text: 'enc' in out ? JSON.stringify(out.enc) : jsonLiteral(out.plain),
        })
    }
    const members = this.root.members
    const data = members.filter((m) => m.key !== 'sops')
    const sopsIndex = members.findIndex((m) => m.key === 'sops')
    const sops = members[sopsIndex]
    if (sops) {
      const prev = members[sopsIndex - 1]
      const next = members[sopsIndex + 1]
      const start = prev ? prev.value.end : next ? sops.keyStart : this.root.start + 1
      edits.push({ start, end: !prev && next ? next.keyStart : sops.value.end, text: '' })
    }
    if (metadata) {
      const last = data[data.length - 1]
      const gap = data[0] ? this.text.slice(this.root.start + 1, data[0].keyStart) : ''
      const nlAt = gap.lastIndexOf('\n')
      const unit = nlAt >= 0 ? gap.slice(nlAt + 1) : null
      const nl = nlAt > 0 && gap[nlAt - 1] === '\r' ? '\r\n' : '\n'
      const member = `"sops": ${metaToJson(metadata, unit, 1, nl)}`
      if (last)
        edits.push({ start: last.value.end, end: last.value.end, text: `,${unit === null ? ' ' : nl + unit}${member}` })
      else edits.push({ start: this.root.start + 1, end: this.root.start + 1, text: member })
    }
    return applyEdits(this.text, edits)
  }
}

/** Parses a JSON document. @throws {SopsError} 'parse' on a syntax error, 'unsupported' when the top level is not an object. */
export function parseJson(text: string): ParsedStore & { hasSopsKey: boolean } {
  return new JsonDocument(text)
}
