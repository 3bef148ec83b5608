/**
 * The YAML store (docs/sops-format.md §4 "YAML"), layout-preserving: values and comments are replaced in place
 * in the user's text, so indentation, key order, quoting, blank lines and comments survive; the
 * `sops:` block is appended to every document (and read from the first). The `yaml` package
 * parses (failsafe schema: every scalar a string, typed here the yaml.v3 way) and gives source
 * ranges; its CST gives the comments.
 */
import { isAlias, isMap, isScalar, isSeq, parseAllDocuments, Parser, type Document, type Scalar } from 'yaml'
import type { ParsedStore } from './engine.js'
import { SopsError } from './errors.js'
import type { MetaTree, MetaValue } from './metadata.js'
import {
  appendedBlock,
  appendedBlockRange,
  applyEdits,
  CommentStack,
  LineIndex,
  newlineOf,
  setOwn,
  type CommentSlot,
  type Edit,
  type Slot,
  type SlotOutput,
  type ValueSlot,
} from './tree.js'
import {
  boundaries,
  cstComments,
  placeComments,
  distinctPaths,
  enclosingPaths,
  newContainer,
  newItem,
  walkComments,
  type Anchor,
  type PlacedComment,
  type YContainer,
  type YItem,
} from './yaml-cst.js'
import { yamlFlowMetadata, yamlMetadataLines } from './yaml-meta.js'
import { rangeOf, YamlRenderer, type Range, type ScalarPlace, type Shape } from './yaml-render.js'
import { resolvePlain, shortTag, typedFromScalar } from './yaml-scalar.js'

interface DocState {
  regionStart: number
  boundary: number
  rootCol: number
  anchors: Anchor[]
  sops?: [number, number]
  /** a flow mapping at the top (JSON written as YAML): the metadata goes inside it, here */
  flow?: { at: number; first: boolean }
  /** every path of the document, the last resort for decrypting a comment */
  paths?: (readonly string[])[]
  /** the top-level mapping as sops's tree has it, for the comment stack */
  tree: YContainer
}
interface At {
  path: string[]
  display: (string | number)[]
  flow: boolean
  parentCol: number
  doc: Document
  state: DocState
  alias: string | null
  depth: number
  /** the offset of the `-` when the node is directly an item of a block sequence */
  dash?: number | undefined
  /** the container the pairs or items being walked go in */
  container: YContainer
  /** the key or list item the node being walked is the value of */
  item?: YItem | undefined
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
  readonly commentStacks: ReadonlyMap<Slot, readonly CommentSlot[]>

  constructor(private readonly text: string) {
    this.lines = new LineIndex(text)
    this.nl = newlineOf(text)
    // duplicate keys are found in the walk below: the `yaml` package's own check is quadratic in
    // a mapping's size (minutes for a mapping of 100,000 keys)
    const docs = parseAllDocuments(text, { schema: 'failsafe', keepSourceTokens: true, uniqueKeys: false })
    const tokens = [...new Parser().parse(text)]
    const ends = boundaries(tokens, text.length)
    let regionStart = 0
    docs.forEach((doc, i) => {
      const error = doc.errors[0]
      if (error)
        throw new SopsError(
          'parse',
          `YAML syntax error (${error.code}) at ${this.lines.where(error.pos[0])}, column ${this.lines.col(error.pos[0]) + 1}`,
        )
      const state: DocState = {
        regionStart,
        boundary: ends[i] ?? text.length,
        rootCol: 0,
        anchors: [],
        tree: newContainer(false, false),
      }
      regionStart = state.boundary
      this.docs.push(state)
      this.root(doc, state, i === 0)
    })
    if (this.docs.length === 0)
      this.docs.push({
        regionStart: 0,
        boundary: text.length,
        rootCol: 0,
        anchors: [],
        tree: newContainer(false, false),
      })
    this.unit ||= 2
    for (const d of this.docs) d.anchors.sort((a, b) => a.offset - b.offset)
    const comments = cstComments(tokens).filter((c) => {
      const state = this.docOf(c.offset)
      return !(state.sops && c.offset >= state.sops[0] && c.offset < state.sops[1])
    })
    const places = new Map<number, PlacedComment>()
    for (const d of this.docs) {
      const mine = comments.filter((c) => this.docOf(c.offset) === d).map((c) => c.offset)
      for (const [offset, place] of placeComments(text, this.lines, d.anchors, mine)) places.set(offset, place)
    }
    for (const c of comments) this.comment(c.offset, c.source, places.get(c.offset) ?? { place: null, certain: false })
    // each document is a branch of its own in sops's tree
    const stacks = new Map<Slot, readonly CommentSlot[]>()
    for (const d of this.docs) {
      const stack = new CommentStack()
      walkComments(d.tree, stack)
      for (const [slot, comments] of stack.of) stacks.set(slot, comments)
    }
    this.commentStacks = stacks
  }

  private root(doc: Document, state: DocState, first: boolean): void {
    const root = doc.contents
    // an empty document (nothing, or only `---`) becomes a mapping with just the sops block
    if (
      root === null ||
      root === undefined ||
      (isScalar(root) && root.type === 'PLAIN' && root.source === '' && !root.tag && !root.anchor)
    )
      return
    if (!isMap(root)) {
      throw new SopsError(
        'unsupported',
        `${this.lines.where(rangeOf(root)[0])}: the top level of a YAML document must be a mapping for sops`,
      )
    }
    state.rootCol = this.lines.col(rangeOf(root)[0])
    state.tree = newContainer(!!root.flow, false)
    const at: At = {
      path: [],
      display: [],
      flow: !!root.flow,
      parentCol: state.rootCol,
      doc,
      state,
      alias: null,
      depth: 0,
      container: state.tree,
    }
    const end = (p: { key: unknown; value: unknown }): number => rangeOf((p.value ?? p.key) as Scalar)[1]
    const data = root.items.filter((p) => !(isScalar(p.key) && p.key.value === 'sops'))
    if (root.flow) {
      const last = data[data.length - 1]
      state.flow = last ? { at: end(last), first: false } : { at: rangeOf(root)[0] + 1, first: true }
    }
    const seen = new Set<string>()
    root.items.forEach((pair, i) => {
      const key = this.key(pair.key)
      this.unique(seen, key, pair.key)
      if (key !== 'sops') {
        this.pair(key, pair.key, pair.value, at)
        return
      }
      this.hasSopsKey = true
      const phantom = newItem(state.tree)
      phantom.phantom = true
      state.anchors.push(this.anchor(rangeOf(pair.key as Scalar)[0], [], phantom))
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

  private anchor(offset: number, path: readonly string[], item?: YItem, key = false): Anchor {
    const col = this.lines.col(offset)
    if (item) item.col = col
    return { offset, col, path, ...(item ? { item } : {}), ...(key ? { key } : {}) }
  }

  /** yaml.v3 (so sops) refuses a key repeated in a mapping. @throws {SopsError} 'parse' */
  private unique(seen: Set<string>, key: string, node: unknown): void {
    if (!seen.has(key)) {
      seen.add(key)
      return
    }
    const at = rangeOf(node as Scalar)[0]
    throw new SopsError(
      'parse',
      `YAML syntax error (DUPLICATE_KEY) at ${this.lines.where(at)}, column ${this.lines.col(at) + 1}`,
    )
  }

  private key(node: unknown): string {
    const where = this.lines.where(isScalar(node) || isAlias(node) || isMap(node) || isSeq(node) ? rangeOf(node)[0] : 0)
    if (!isScalar(node))
      throw new SopsError(
        'unsupported',
        `${where}: a mapping key that is not a plain string (sops supports only string keys)`,
      )
    // sops writes a merge key as `!!merge <<:` (yaml.v3 tags the string `<<` so); it is the key
    // `<<`, whose value sops expanded (the `yaml` package leaves the tagged scalar's value unset)
    if (shortTag(node.tag) === '!!merge' && node.type === 'PLAIN' && (node as { source?: unknown }).source === '<<')
      return '<<'
    refuseLoneSurrogate(String(node.value), where)
    const typed = typedFromScalar(String(node.value), node.type !== 'PLAIN', shortTag(node.tag), where)
    if (typed === null || typed.type !== 'str') {
      const kind = typed === null ? 'null' : typed.type === 'time' ? 'a timestamp' : `a ${typed.type}`
      throw new SopsError(
        'unsupported',
        `${where}: a mapping key is ${kind}, not a string (sops supports only string keys; quote it)`,
      )
    }
    return typed.text
  }

  private pair(key: string, keyNode: unknown, value: unknown, at: At): Shape {
    const keyOffset = rangeOf(keyNode as Scalar)[0]
    const keyCol = this.lines.col(keyOffset)
    const item = newItem(at.container)
    if (at.alias === null) at.state.anchors.push(this.anchor(keyOffset, at.path, item, true))
    if (at.alias === null && !at.flow && (isMap(value) || isSeq(value)) && !value.flow) {
      const delta = this.lines.col(rangeOf(value)[0]) - keyCol
      if (isMap(value) && delta > 0) this.unit ||= delta
      if (isSeq(value)) this.seqIndented ??= delta > 0
    }
    return this.value(value, {
      ...at,
      path: [...at.path, key],
      display: [...at.display, key],
      parentCol: keyCol,
      dash: undefined,
      item,
    })
  }

  private value(node: unknown, at: At): Shape {
    if (at.depth > 100) throw new SopsError('unsupported', 'YAML nested (or aliased) more than 100 levels deep')
    if (node === null || node === undefined) return { kind: 'null' }
    if (isAlias(node)) {
      const target = node.resolve(at.doc)
      if (!target) throw new SopsError('parse', `${this.lines.where(rangeOf(node)[0])}: alias to an unknown anchor`)
      const inner = this.value(target, {
        ...at,
        alias: at.alias ?? this.lines.where(rangeOf(node)[0]),
        depth: at.depth + 1,
      })
      if (at.alias === null) this.aliases.push({ range: rangeOf(node), flow: at.flow, shape: inner })
      return inner
    }
    if (isScalar(node)) {
      const where = at.alias ?? this.lines.where(rangeOf(node)[0])
      refuseLoneSurrogate(String(node.value), where)
      const quoted = node.type !== 'PLAIN'
      const typed = typedFromScalar(String(node.value), quoted, shortTag(node.tag), where)
      if (typed === null) return { kind: 'null' }
      const listItem = at.alias === null && at.dash !== undefined
      const slot: ValueSlot = {
        kind: 'value',
        path: at.path,
        display: at.display,
        value: typed,
        where,
        ...(listItem ? { listItem } : {}),
      }
      this.slots.push(slot)
      if (at.item) at.item.slot = slot
      if (at.alias === null)
        this.places.set(slot, {
          node,
          flow: at.flow,
          parentCol: at.parentCol,
          ...(at.dash !== undefined ? { dash: at.dash } : {}),
        })
      return { kind: 'leaf', slot }
    }
    if (isMap(node)) {
      const container = newContainer(at.flow || !!node.flow, false, at.item)
      if (at.item) at.item.child = container
      const inner = { ...at, flow: at.flow || !!node.flow, depth: at.depth + 1, container, item: undefined }
      const seen = new Set<string>()
      return {
        kind: 'map',
        entries: node.items.map((p) => {
          const key = this.key(p.key)
          if (at.alias === null) this.unique(seen, key, p.key)
          return { key, child: this.pair(key, p.key, p.value, inner) }
        }),
      }
    }
    if (isSeq(node)) {
      const flow = at.flow || !!node.flow
      const container = newContainer(flow, true, at.item)
      if (at.item) at.item.child = container
      const token = node.srcToken as { items?: { start?: { type: string; offset: number }[] }[] } | undefined
      return {
        kind: 'seq',
        items: node.items.map((item, i) => {
          if (!isScalar(item) && !isMap(item) && !isSeq(item) && !isAlias(item) && item !== null) {
            throw new SopsError(
              'unsupported',
              `${this.lines.where(rangeOf(node)[0])}: a key: value pair inside a flow sequence`,
            )
          }
          const dash = flow ? undefined : token?.items?.[i]?.start?.find((t) => t.type === 'seq-item-ind')?.offset
          const offset = dash ?? (item ? rangeOf(item)[0] : rangeOf(node)[0])
          const listItem = newItem(container)
          if (at.alias === null) at.state.anchors.push(this.anchor(offset, at.path, listItem))
          return this.value(item, {
            ...at,
            flow,
            display: [...at.display, i],
            parentCol: this.lines.col(offset),
            depth: at.depth + 1,
            dash,
            container,
            item: listItem,
          })
        }),
      }
    }
    throw new SopsError('unsupported', 'unexpected YAML node')
  }

  private docOf(offset: number): DocState {
    return this.docs.find((d) => offset < d.boundary) ?? this.docs[this.docs.length - 1]!
  }

  private comment(offset: number, source: string, { place, certain, inert }: PlacedComment): void {
    const state = this.docOf(offset)
    const path = place?.anchor.path ?? []
    state.paths ??= distinctPaths(state.anchors)
    const slot: CommentSlot = {
      kind: 'comment',
      path,
      alternatives: enclosingPaths(path),
      fallback: state.paths,
      text: source.slice(1),
      where: this.lines.where(offset),
      ...(certain ? {} : { uncertain: inert ? ('inert' as const) : ('open' as const) }),
    }
    this.slots.push(slot)
    this.comments.set(slot, [offset, offset + source.length])
    const item = place?.anchor.item
    if (!place || !item) state.tree.tail.push(slot)
    else if (place.where === 'before') item.before.push(slot)
    else if (place.where === 'after') item.after.push(slot)
    else lineComment(item).push(slot)
  }

  emit(outputs: ReadonlyMap<Slot, SlotOutput>, metadata: MetaTree | null): string {
    const edits: Edit[] = []
    const render = new YamlRenderer(this.text, this.nl, this.unit)
    for (const [slot, place] of this.places) {
      const out = outputs.get(slot)
      if (out) edits.push(...render.scalarEdits(place, out))
    }
    for (const alias of this.aliases)
      edits.push({ start: alias.range[0], end: alias.range[1], text: render.shape(alias.shape, alias.flow, outputs) })
    for (const [slot, [start, end]] of this.comments) {
      const out = outputs.get(slot)
      if (out) edits.push({ start, end, text: `#${'enc' in out ? out.enc : out.plain.text}` })
    }
    for (const doc of this.docs) {
      if (doc.sops) edits.push({ start: doc.sops[0], end: doc.sops[1], text: '' })
      if (metadata && doc.flow) {
        edits.push({
          start: doc.flow.at,
          end: doc.flow.at,
          text: `${doc.flow.first ? '' : ', '}sops: ${yamlFlowMetadata(metadata)}`,
        })
      } else if (metadata) {
        const lines = yamlMetadataLines(metadata, doc.rootCol, this.unit, this.seqIndented ?? true)
        edits.push({ start: doc.boundary, end: doc.boundary, text: (before) => appendedBlock(before, lines, this.nl) })
      }
    }
    return applyEdits(this.text, edits)
  }
}

/**
 * Where sops's tree has a line comment (one after content on its line) of an item: before the
 * item (yaml.v3's line comment of a key or scalar, which sops puts before the item); after a
 * flow collection, the collection's own line comment: sops puts it at the start of the
 * collection when it is a mapping value, before it when it is a list item.
 */
function lineComment(item: YItem): CommentSlot[] {
  let container = item.container
  if (!container.flow) return item.before
  while (container.owner?.container.flow) container = container.owner.container
  const owner = container.owner
  return owner?.container.list ? owner.before : container.start
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/**
 * A `"\uD800"` escape (half a surrogate pair) decodes here but not in yaml.v3, which rejects the
 * whole file, and it has no UTF-8 form to encrypt: refused, whether or not it would be encrypted.
 * @throws {SopsError} 'unsupported'
 */
function refuseLoneSurrogate(value: string, where: string): void {
  if (LONE_SURROGATE.test(value)) {
    throw new SopsError(
      'unsupported',
      `${where}: an escape for half a UTF-16 surrogate pair (such as \\uD800), which sops's YAML parser rejects; write the character itself or a \\U escape of its code point`,
    )
  }
}

/** The metadata tree from a YAML node (plain nulls as null, every other scalar a string). */
function toMeta(node: unknown, doc: Document): MetaValue {
  if (isAlias(node)) return toMeta(node.resolve(doc), doc)
  if (isScalar(node))
    return node.type === 'PLAIN' && resolvePlain(String(node.value)).kind === 'null' ? null : String(node.value)
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
  return {
    slots: doc.slots,
    metadata: doc.metadata,
    hasSopsKey: doc.hasSopsKey,
    commentStacks: doc.commentStacks,
    emit: (outputs, metadata) => `\ufeff${doc.emit(outputs, metadata)}`,
  }
}
