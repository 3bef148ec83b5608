/**
 * The YAML store (spec §4 "YAML"), layout-preserving: values and comments are replaced in place
 * in the user's text, so indentation, key order, quoting, blank lines and comments survive; the
 * `sops:` block is appended to every document (and read from the first). The `yaml` package
 * parses (failsafe schema: every scalar a string, typed here the yaml.v3 way) and gives source
 * ranges; its CST gives the comments.
 */
import { isAlias, isMap, isScalar, isSeq, parseAllDocuments, Parser, type Document, type Scalar } from 'yaml'
import type { ParsedStore } from './engine.js'
import { SopsError } from './errors.js'
import type { MetaTree, MetaValue } from './metadata.js'
import { appendedBlock, appendedBlockRange, applyEdits, LineIndex, newlineOf, setOwn, type CommentSlot, type Edit, type Slot, type SlotOutput, type ValueSlot } from './tree.js'
import { doubleQuoted, inlineString, literalBlock, plainSafe, resolvePlain, shortTag, typedFromScalar, typedLiteral } from './yaml-scalar.js'
import type { Typed } from './values.js'
import { yamlFlowMetadata, yamlMetadataLines } from './yaml-meta.js'

type Range = readonly [number, number, number?]
/** Where a key or list item starts: the unit comments are attached to. */
interface Anchor { offset: number; col: number; path: readonly string[] }
interface DocState {
  regionStart: number
  boundary: number
  rootCol: number
  anchors: Anchor[]
  sops?: [number, number]
  /** a flow mapping at the top (JSON written as YAML): the metadata goes inside it, here */
  flow?: { at: number; first: boolean }
}
interface ScalarPlace { node: Scalar; flow: boolean; parentCol: number }
type Shape =
  | { kind: 'map'; entries: { key: string; child: Shape }[] }
  | { kind: 'seq'; items: Shape[] }
  | { kind: 'leaf'; slot: ValueSlot }
  | { kind: 'null' }
interface At { path: string[]; display: (string | number)[]; flow: boolean; parentCol: number; doc: Document; state: DocState; alias: string | null; depth: number }

const rangeOf = (node: { range?: Range | null }): Range => node.range ?? [0, 0, 0]
const BLOCK_HEADER = /^[|>](?:[1-9][-+]?|[-+][1-9]?)?/

/** All comment tokens of the CST, in source order. */
function cstComments(tokens: readonly unknown[]): { offset: number; source: string }[] {
  const found = new Map<number, string>()
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit)
    else if (typeof v === 'object' && v !== null) {
      const t = v as { type?: unknown; offset?: unknown; source?: unknown }
      if (t.type === 'comment' && typeof t.offset === 'number' && typeof t.source === 'string') found.set(t.offset, t.source)
      else for (const child of Object.values(v)) if (typeof child === 'object') visit(child)
    }
  }
  visit(tokens)
  return [...found].sort((a, b) => a[0] - b[0]).map(([offset, source]) => ({ offset, source }))
}

/** Where each document's sops block goes: before the next `---`, `...` or directive, else at the end. */
function boundaries(tokens: readonly { type: string; offset: number; start?: unknown }[], length: number): number[] {
  const out: number[] = []
  tokens.forEach((t, i) => {
    if (t.type !== 'document') return
    let boundary = length
    for (const next of tokens.slice(i + 1)) {
      if (next.type === 'doc-end' || next.type === 'directive') boundary = next.offset
      else if (next.type === 'document') {
        const start = Array.isArray(next.start) ? (next.start as { type: string; offset: number }[]) : []
        boundary = start.find((s) => s.type === 'doc-start' || s.type === 'directive')?.offset ?? next.offset
      } else continue
      break
    }
    out.push(boundary)
  })
  return out
}

class YamlDocument implements ParsedStore {
  readonly slots: Slot[] = []
  metadata: MetaTree | null = null
  /** a top-level `sops` key was found (reserved for the metadata) */
  hasSopsKey = false
  private readonly lines: LineIndex
  private readonly nl: string
  private readonly places = new Map<ValueSlot, ScalarPlace>()
  private readonly aliases: { range: Range; flow: boolean; shape: Shape }[] = []
  private readonly comments = new Map<CommentSlot, [number, number]>()
  private readonly docs: DocState[] = []
  private unit = 0
  private seqIndented: boolean | undefined

  constructor(private readonly text: string) {
    this.lines = new LineIndex(text)
    this.nl = newlineOf(text)
    const docs = parseAllDocuments(text, { schema: 'failsafe', keepSourceTokens: true })
    const tokens = [...new Parser().parse(text)]
    const ends = boundaries(tokens, text.length)
    let regionStart = 0
    docs.forEach((doc, i) => {
      const error = doc.errors[0]
      if (error) throw new SopsError('parse', `YAML syntax error (${error.code}) at ${this.lines.where(error.pos[0])}, column ${this.lines.col(error.pos[0]) + 1}`)
      const state: DocState = { regionStart, boundary: ends[i] ?? text.length, rootCol: 0, anchors: [] }
      regionStart = state.boundary
      this.docs.push(state)
      this.root(doc, state, i === 0)
    })
    if (this.docs.length === 0) this.docs.push({ regionStart: 0, boundary: text.length, rootCol: 0, anchors: [] })
    this.unit ||= 2
    for (const c of cstComments(tokens)) this.comment(c.offset, c.source)
  }

  private root(doc: Document, state: DocState, first: boolean): void {
    const root = doc.contents
    // an empty document (nothing, or only `---`) becomes a mapping with just the sops block
    if (root === null || root === undefined || (isScalar(root) && root.type === 'PLAIN' && root.source === '' && !root.tag && !root.anchor)) return
    if (!isMap(root)) {
      throw new SopsError('unsupported', `${this.lines.where(rangeOf(root)[0])}: the top level of a YAML document must be a mapping for sops`)
    }
    state.rootCol = this.lines.col(rangeOf(root)[0])
    const at: At = { path: [], display: [], flow: !!root.flow, parentCol: state.rootCol, doc, state, alias: null, depth: 0 }
    const end = (p: { key: unknown; value: unknown }): number => rangeOf((p.value ?? p.key) as Scalar)[1]
    const data = root.items.filter((p) => !(isScalar(p.key) && p.key.value === 'sops'))
    if (root.flow) {
      const last = data[data.length - 1]
      state.flow = last ? { at: end(last), first: false } : { at: rangeOf(root)[0] + 1, first: true }
    }
    root.items.forEach((pair, i) => {
      const key = this.key(pair.key)
      if (key !== 'sops') {
        this.pair(key, pair.key, pair.value, at)
        return
      }
      this.hasSopsKey = true
      state.anchors.push(this.anchor(rangeOf(pair.key as Scalar)[0], []))
      const value = pair.value as { range?: Range } | null
      if (!isMap(value)) return
      if (first) this.metadata = toMeta(value, doc) as MetaTree
      const prev = root.items[i - 1]
      if (root.flow) {
        state.sops = [prev ? end(prev) : rangeOf(root)[0] + 1, rangeOf(value)[1]]
        return
      }
      const start = this.lines.lineStart(rangeOf(pair.key as Scalar)[0])
      const stop = start + this.text.slice(start, rangeOf(value)[2] ?? rangeOf(value)[1]).trimEnd().length
      state.sops = appendedBlockRange(this.text, start, stop, this.nl)
    })
  }

  private anchor(offset: number, path: readonly string[], col = this.lines.col(offset)): Anchor {
    return { offset, col, path }
  }

  private key(node: unknown): string {
    const where = this.lines.where(isScalar(node) || isAlias(node) || isMap(node) || isSeq(node) ? rangeOf(node)[0] : 0)
    if (!isScalar(node)) throw new SopsError('unsupported', `${where}: a mapping key that is not a plain string (sops supports only string keys)`)
    const typed = typedFromScalar(String(node.value), node.type !== 'PLAIN', shortTag(node.tag), where)
    if (typed === null || typed.type !== 'str') {
      const kind = typed === null ? 'null' : typed.type === 'time' ? 'a timestamp' : `a ${typed.type}`
      throw new SopsError('unsupported', `${where}: a mapping key is ${kind}, not a string (sops supports only string keys; quote it)`)
    }
    return typed.text
  }

  private pair(key: string, keyNode: unknown, value: unknown, at: At): Shape {
    const keyOffset = rangeOf(keyNode as Scalar)[0]
    const keyCol = this.lines.col(keyOffset)
    if (at.alias === null) at.state.anchors.push(this.anchor(keyOffset, at.path))
    if (at.alias === null && !at.flow && (isMap(value) || isSeq(value)) && !value.flow) {
      const delta = this.lines.col(rangeOf(value)[0]) - keyCol
      if (isMap(value) && delta > 0) this.unit ||= delta
      if (isSeq(value)) this.seqIndented ??= delta > 0
    }
    return this.value(value, { ...at, path: [...at.path, key], display: [...at.display, key], parentCol: keyCol })
  }

  private value(node: unknown, at: At): Shape {
    if (at.depth > 100) throw new SopsError('unsupported', 'YAML nested (or aliased) more than 100 levels deep')
    if (node === null || node === undefined) return { kind: 'null' }
    if (isAlias(node)) {
      const target = node.resolve(at.doc)
      if (!target) throw new SopsError('parse', `${this.lines.where(rangeOf(node)[0])}: alias to an unknown anchor`)
      const inner = this.value(target, { ...at, alias: at.alias ?? this.lines.where(rangeOf(node)[0]), depth: at.depth + 1 })
      if (at.alias === null) this.aliases.push({ range: rangeOf(node), flow: at.flow, shape: inner })
      return inner
    }
    if (isScalar(node)) {
      const where = at.alias ?? this.lines.where(rangeOf(node)[0])
      const quoted = node.type !== 'PLAIN'
      const typed = typedFromScalar(String(node.value), quoted, shortTag(node.tag), where)
      if (typed === null) return { kind: 'null' }
      const slot: ValueSlot = { kind: 'value', path: at.path, display: at.display, value: typed, where }
      this.slots.push(slot)
      if (at.alias === null) this.places.set(slot, { node, flow: at.flow, parentCol: at.parentCol })
      return { kind: 'leaf', slot }
    }
    if (isMap(node)) {
      const inner = { ...at, flow: at.flow || !!node.flow, depth: at.depth + 1 }
      return { kind: 'map', entries: node.items.map((p) => {
        const key = this.key(p.key)
        return { key, child: this.pair(key, p.key, p.value, inner) }
      }) }
    }
    if (isSeq(node)) {
      const flow = at.flow || !!node.flow
      const token = node.srcToken as { items?: { start?: { type: string; offset: number }[] }[] } | undefined
      return { kind: 'seq', items: node.items.map((item, i) => {
        if (!isScalar(item) && !isMap(item) && !isSeq(item) && !isAlias(item) && item !== null) {
          throw new SopsError('unsupported', `${this.lines.where(rangeOf(node)[0])}: a key: value pair inside a flow sequence`)
        }
        const dash = flow ? undefined : token?.items?.[i]?.start?.find((t) => t.type === 'seq-item-ind')?.offset
        const offset = dash ?? (item ? rangeOf(item)[0] : rangeOf(node)[0])
        if (at.alias === null) at.state.anchors.push(this.anchor(offset, at.path))
        return this.value(item, { ...at, flow, display: [...at.display, i], parentCol: this.lines.col(offset), depth: at.depth + 1 })
      }) }
    }
    throw new SopsError('unsupported', 'unexpected YAML node')
  }

  /**
   * A comment's additional data: the mapping or list sops's YAML store would put it in
   * (yaml.v3 head/line/foot rules, approximated by position: a comment on a line with content
   * belongs where that content is; one on its own line to the next key or item at its column or
   * deeper, else as a foot comment to the last key or item at or left of its column).
   */
  private comment(offset: number, source: string): void {
    const state = this.docs.find((d) => offset < d.boundary) ?? this.docs[this.docs.length - 1]!
    if (state.sops && offset >= state.sops[0] && offset < state.sops[1]) return
    const anchors = state.anchors.slice().sort((a, b) => a.offset - b.offset)
    const col = this.lines.col(offset)
    const ownLine = this.text.slice(this.lines.lineStart(offset), offset).trim() === ''
    const before = anchors.filter((a) => a.offset < offset)
    let path: readonly string[] = []
    if (!ownLine) path = before[before.length - 1]?.path ?? []
    else {
      const next = anchors.find((a) => a.offset > offset)
      path = next && col <= next.col ? next.path : ([...before].reverse().find((a) => a.col <= col)?.path ?? [])
    }
    const seen = new Set([path.join('\u0000')])
    const alternatives: (readonly string[])[] = []
    for (const p of [...path.map((_, i) => path.slice(0, path.length - 1 - i)), ...anchors.map((a) => a.path)]) {
      const k = p.join('\u0000')
      if (!seen.has(k)) {
        seen.add(k)
        alternatives.push(p)
      }
    }
    const slot: CommentSlot = { kind: 'comment', path, alternatives, text: source.slice(1), where: this.lines.where(offset) }
    this.slots.push(slot)
    this.comments.set(slot, [offset, offset + source.length])
  }

  emit(outputs: ReadonlyMap<Slot, SlotOutput>, metadata: MetaTree | null): string {
    const edits: Edit[] = []
    for (const [slot, place] of this.places) {
      const out = outputs.get(slot)
      if (out) edits.push(...this.scalarEdits(place, out))
    }
    for (const alias of this.aliases) edits.push({ start: alias.range[0], end: alias.range[1], text: this.shape(alias.shape, alias.flow, outputs) })
    for (const [slot, [start, end]] of this.comments) {
      const out = outputs.get(slot)
      if (out) edits.push({ start, end, text: `#${'enc' in out ? out.enc : out.plain.text}` })
    }
    for (const doc of this.docs) {
      if (doc.sops) edits.push({ start: doc.sops[0], end: doc.sops[1], text: '' })
      if (metadata && doc.flow) {
        edits.push({ start: doc.flow.at, end: doc.flow.at, text: `${doc.flow.first ? '' : ', '}sops: ${yamlFlowMetadata(metadata)}` })
      } else if (metadata) {
        const lines = yamlMetadataLines(metadata, doc.rootCol, this.unit, this.seqIndented ?? true)
        edits.push({ start: doc.boundary, end: doc.boundary, text: (before) => appendedBlock(before, lines, this.nl) })
      }
    }
    return applyEdits(this.text, edits)
  }

  private scalarEdits(place: ScalarPlace, out: SlotOutput): Edit[] {
    const { node, flow } = place
    const [start, end] = rangeOf(node)
    if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') return this.blockEdits(place, out)
    if ('enc' in out) {
      // the user's quoting rides on the ENC scalar; in flow context (where ENC cannot be plain)
      // single quotes stand for plain, so `[a, "b"]` comes back as written
      const text = node.type === 'QUOTE_DOUBLE' ? `"${out.enc}"` : node.type === 'QUOTE_SINGLE' || flow ? `'${out.enc}'` : out.enc
      return [{ start, end, text }]
    }
    const t = out.plain
    if (t.type !== 'str') return [{ start, end, text: typedLiteral(t) }]
    const style = node.type === 'QUOTE_DOUBLE' ? 'double' : node.type === 'QUOTE_SINGLE' && !flow ? 'single' : node.tag ? 'tagged' : 'plain'
    if (style !== 'single' && style !== 'double' && !flow && t.text.includes('\n')) {
      const block = literalBlock(t.text, ' '.repeat(place.parentCol + this.unit), this.nl)
      const lineEnd = this.text.indexOf('\n', end)
      if (block && lineEnd >= 0) return [{ start, end, text: block.header }, { start: lineEnd + 1, end: lineEnd + 1, text: block.body }]
    }
    return [{ start, end, text: inlineString(t.text, style, flow) }]
  }

  /**
   * A block scalar: encrypted, it becomes `|-` (the ENC line has no final newline, which
   * sops-age's anchored parser needs) at the content's indentation, keeping any indentation
   * digit and the trailing blank lines; decrypted, the literal block is rebuilt from the value.
   */
  private blockEdits(place: ScalarPlace, out: SlotOutput): Edit[] {
    const [start, end] = rangeOf(place.node)
    const header = BLOCK_HEADER.exec(this.text.slice(start))?.[0] ?? '|'
    const digit = /[1-9]/.exec(header)?.[0] ?? ''
    const lineEnd = this.text.indexOf('\n', start)
    const contentStart = lineEnd < 0 || lineEnd >= end ? end : lineEnd + 1
    const content = this.text.slice(contentStart, end)
    const firstContent = /^[ \t]*\S/m.exec(content)
    if ('enc' in out) {
      const value = String(place.node.value)
      const extra = /^ */.exec(value.split('\n').find((l) => l !== '') ?? '')?.[0].length ?? 0
      const indent = Math.max(0, (/^ */.exec(firstContent?.[0] ?? '')?.[0].length ?? place.parentCol + this.unit) - extra)
      const lastLine = /[^\n]*\S[^\n]*(\n|$)/g
      let bodyEnd = 0
      for (let m = lastLine.exec(content); m; m = lastLine.exec(content)) bodyEnd = m.index + m[0].length
      const tail = header.includes('+') ? '' : content.slice(bodyEnd)
      return [
        { start, end: start + header.length, text: `|${digit}-` },
        { start: contentStart, end, text: ' '.repeat(indent) + out.enc + this.nl + tail },
      ]
    }
    const firstEnd = content.indexOf('\n')
    const first = { start: contentStart, end: firstEnd < 0 ? end : contentStart + firstEnd + 1 }
    const t = out.plain
    const indent = /^ */.exec(content)?.[0] ?? ''
    const block = t.type === 'str' ? literalBlock(t.text, indent, this.nl, digit) : null
    if (block) return [{ start, end: start + header.length, text: block.header }, { ...first, text: block.body }]
    return [{ start, end: start + header.length, text: t.type === 'str' ? doubleQuoted(t.text) : typedLiteral(t) }, { ...first, text: '' }]
  }

  /** An alias expanded where it was: a scalar, or a flow collection (a ciphertext is bound to one path). */
  private shape(shape: Shape, flow: boolean, outputs: ReadonlyMap<Slot, SlotOutput>): string {
    switch (shape.kind) {
      case 'null':
        return 'null'
      case 'map':
        return `{${shape.entries.map((e) => `${plainSafe(e.key, true, true) ? e.key : doubleQuoted(e.key)}: ${this.shape(e.child, true, outputs)}`).join(', ')}}`
      case 'seq':
        return `[${shape.items.map((item) => this.shape(item, true, outputs)).join(', ')}]`
      default: {
        const out = outputs.get(shape.slot)
        if (out && 'enc' in out) return flow ? `'${out.enc}'` : out.enc
        const t: Typed = out ? out.plain : shape.slot.value
        if (t.type === 'time' && t.source !== undefined) return t.source
        return t.type === 'str' ? inlineString(t.text, 'plain', flow) : typedLiteral(t)
      }
    }
  }
}

/** The metadata tree from a YAML node (plain nulls as null, every other scalar a string). */
function toMeta(node: unknown, doc: Document): MetaValue {
  if (isAlias(node)) return toMeta(node.resolve(doc), doc)
  if (isScalar(node)) return node.type === 'PLAIN' && resolvePlain(String(node.value)).kind === 'null' ? null : String(node.value)
  if (isSeq(node)) return node.items.map((i) => toMeta(i, doc))
  if (isMap(node)) {
    const out: MetaTree = {}
    for (const p of node.items) setOwn(out, String(isScalar(p.key) ? p.key.value : p.key), toMeta(p.value, doc))
    return out
  }
  return null
}

/** Parses a YAML document. @throws {SopsError} 'parse' on a syntax error, 'unsupported' for shapes sops rejects. */
export function parseYaml(text: string): ParsedStore & { hasSopsKey: boolean } {
  if (!text.startsWith('\ufeff')) return new YamlDocument(text)
  // a byte order mark is kept in front, outside what is parsed
  const doc = new YamlDocument(text.slice(1))
  return { slots: doc.slots, metadata: doc.metadata, hasSopsKey: doc.hasSopsKey, emit: (outputs, metadata) => `\ufeff${doc.emit(outputs, metadata)}` }
}
