/**
 * What the YAML store takes from the `yaml` package's CST: comments, document boundaries, and
 * where sops's YAML store would put each comment (its additional data, docs/sops-format.md §1).
 */
import type { CommentSlot, CommentStack, LineIndex, ValueSlot } from './tree.js'

/**
 * A mapping or list as sops's tree has it, for the comment stack (tree.ts `CommentStack`):
 * its items in order, and the comments sops puts at its start and after its last item.
 */
export interface YContainer {
  readonly flow: boolean
  /** the item whose value it is (none for a document's top level) */
  readonly owner?: YItem
  /** directly a list (whose items' line comments sops puts before the item) */
  readonly list: boolean
  readonly items: YItem[]
  readonly start: CommentSlot[]
  readonly tail: CommentSlot[]
}

/** A key or list item: the comments sops puts before and after it, and its value. */
export interface YItem {
  readonly container: YContainer
  readonly before: CommentSlot[]
  readonly after: CommentSlot[]
  slot?: ValueSlot
  child?: YContainer
  /** the `sops` key, which sops removes from the tree before walking it */
  phantom?: boolean
  /** the column of its key or `-` (unset inside an alias's expansion) */
  col?: number
}

export const newContainer = (flow: boolean, list: boolean, owner?: YItem): YContainer => ({
  flow,
  list,
  ...(owner ? { owner } : {}),
  items: [],
  start: [],
  tail: [],
})

export function newItem(container: YContainer): YItem {
  const item: YItem = { container, before: [], after: [] }
  container.items.push(item)
  return item
}

/** Where a key or list item starts: what comments are attached to. `key`: a mapping key (not a list item). */
export interface Anchor {
  offset: number
  col: number
  path: readonly string[]
  item?: YItem
  key?: boolean
}

/**
 * Feeds a document's containers to a comment stack in sops's order (sops.go `walkBranch`): the
 * comments before an item, the item (its value, or its mapping or list walked), the comments
 * after it. An item spends its level's comments; the `sops` key does not (sops removed it).
 */
export function walkComments(container: YContainer, stack: CommentStack): void {
  stack.open()
  for (const c of container.start) stack.comment(c)
  for (const item of container.items) {
    for (const c of item.before) stack.comment(c)
    if (item.slot) stack.value(item.slot)
    if (item.child) walkComments(item.child, stack)
    if (!item.phantom) stack.spent()
    for (const c of item.after) stack.comment(c)
  }
  for (const c of container.tail) stack.comment(c)
  stack.close()
}

/** All comment tokens of the CST, in source order. */
export function cstComments(tokens: readonly unknown[]): { offset: number; source: string }[] {
  const found = new Map<number, string>()
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit)
    else if (typeof v === 'object' && v !== null) {
      const t = v as { type?: unknown; offset?: unknown; source?: unknown }
      if (t.type === 'comment' && typeof t.offset === 'number' && typeof t.source === 'string')
        found.set(t.offset, t.source)
      else for (const child of Object.values(v)) if (typeof child === 'object') visit(child)
    }
  }
  visit(tokens)
  return [...found].sort((a, b) => a[0] - b[0]).map(([offset, source]) => ({ offset, source }))
}

/** Where each document's sops block goes: before the next `---`, `...` or directive, else at the end. */
export function boundaries(
  tokens: readonly { type: string; offset: number; start?: unknown }[],
  length: number,
): number[] {
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

export type CommentPlace = { anchor: Anchor; where: 'line' | 'before' | 'after' } | null

/**
 * A comment's place, and whether it is certain: yaml.v3's rules are only approximated here, and
 * proven (against sops's own code) for comments directly above a key or list item at its
 * indentation, and for comments after content on a line (except after a bare `-`).
 */
export interface PlacedComment {
  place: CommentPlace
  certain: boolean
  /** wherever yaml.v3 puts it, it is after the last item of its mapping or list: no value is under it */
  inert?: boolean
}

/**
 * Where sops's YAML store puts each comment: what yaml.v3 (scannerc.go
 * `yaml_parser_scan_comments` and the parser) makes a head, line or foot comment, approximated
 * from positions. A comment after content on its line is a line comment of the last key or item
 * started before it on that line. Comments on lines of their own come in runs (only blank lines
 * between them), which yaml.v3 splits into foot comments of what precedes and one head comment
 * of what follows: at the first blank line, when the run starts right below content that is not
 * a key awaiting its value, or is dedented; at a line dedented below the current indentation. A
 * foot goes after the preceding key or item (when dedented, after the last one at or left of its
 * column); the head goes before the next key or item, unless a block closes in between and the
 * head is indented past what follows, when it stays in that block as a foot. Returns each
 * comment's anchor (whose path is its additional data) and side; null: none (the top level).
 * `sorted`: the document's anchors in source order.
 */
export function placeComments(
  text: string,
  lines: LineIndex,
  sorted: readonly Anchor[],
  offsets: readonly number[],
): Map<number, PlacedComment> {
  const out = new Map<number, PlacedComment>()
  const blank = (line: number): boolean => lineText(text, lines, line).trim() === ''
  /** index of the first anchor at or after `offset` */
  const nextIndex = (offset: number): number => {
    let lo = 0
    let hi = sorted.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (sorted[mid]!.offset < offset) lo = mid + 1
      else hi = mid
    }
    return lo
  }
  const footAt = (before: number, col: number): CommentPlace => {
    for (let i = before - 1; i >= 0; i--) {
      let anchor = sorted[i]!
      if (anchor.col > col) continue
      // an item of a list written at its key's column (`key:\n- a`) is no block of its own to
      // yaml.v3: a comment at that column follows the key
      for (let owner = ownerOfIndentless(anchor); owner; owner = ownerOfIndentless(anchor)) anchor = owner
      return { anchor, where: 'after' }
    }
    return null
  }
  const anchorOf = new Map(sorted.flatMap((a) => (a.item ? [[a.item, a] as const] : [])))
  const ownerOfIndentless = (a: Anchor): Anchor | undefined => {
    const c = a.item?.container
    const owner = c?.owner
    return c?.list && !c.flow && owner && owner.col === a.col ? anchorOf.get(owner) : undefined
  }
  const own = offsets.filter((o) => text.slice(lines.lineStart(o), o).trim() === '')
  for (const o of offsets) {
    if (own.includes(o)) continue
    const anchor = sorted[nextIndex(o) - 1]
    // after a bare `-` whose item is a collection, yaml.v3 puts it inside that collection
    const bareDash = anchor?.key !== true && anchor?.item?.child !== undefined && !anchor.item.child.flow
    out.set(o, { place: anchor ? { anchor, where: 'line' } : null, certain: anchor !== undefined && !bareDash })
  }
  // runs of own-line comments: only blank lines between them
  const runs: number[][] = []
  for (const o of own) {
    const run = runs[runs.length - 1]
    const last = run?.[run.length - 1]
    const between = last === undefined ? [] : range(lines.line(last) + 1, lines.line(o))
    if (run && between.every(blank) && nextIndex(last!) === nextIndex(o)) run.push(o)
    else runs.push([o])
  }
  for (const run of runs) {
    const first = run[0]!
    const n = nextIndex(first)
    const prior = sorted[n - 1]
    const next = sorted[n]
    const firstLine = lines.line(first)
    // the scanner's indentation there: the block the prior key or item is in (a flow collection's block)
    let item = prior?.item
    while (item?.container.flow) item = item.container.owner
    const blockAnchor = item
      ? sorted
          .slice(0, n)
          .reverse()
          .find((a) => a.item === item)
      : undefined
    const awaiting = prior?.key === true && !prior.item?.slot && !(prior.item?.child?.flow ?? false)
    const indent = prior ? (awaiting ? prior.col : (blockAnchor ?? prior).col) : 0
    const rightBelow = firstLine > 1 && !blank(firstLine - 1)
    // the scanner: a blank line (or the end) after the first part splits it off as a foot when
    // the run starts right below content that is no key awaiting its value, or is dedented; a
    // line dedented below the indentation (at another column) starts a new part
    let firstEmpty = rightBelow
    const parts: { offsets: number[]; col: number; foot: boolean }[] = []
    let cur: { offsets: number[]; col: number; foot: boolean } | null = null
    for (const o of run) {
      const col = lines.col(o)
      if (cur && col < indent && col !== cur.col) {
        parts.push({ ...cur, foot: true })
        cur = null
      }
      cur ??= { offsets: [], col, foot: false }
      cur.offsets.push(o)
      const line = lines.line(o)
      if (blank(line + 1) || lines.startOfLine(line + 1) === null) {
        if (firstEmpty && ((parts.length === 0 && rightBelow && !awaiting) || cur.col < indent)) {
          parts.push({ ...cur, foot: true })
          cur = null
        }
        firstEmpty = false
      }
    }
    if (cur) parts.push(cur)
    for (const part of parts) {
      let place: CommentPlace
      if (part.foot) {
        const dedented = part.col < indent
        place = dedented || !blockAnchor ? footAt(n, part.col) : { anchor: blockAnchor, where: 'after' }
      } else if (next && !(next.col < indent && part.col > next.col)) place = { anchor: next, where: 'before' }
      else place = footAt(n, part.col)
      const certain = next !== undefined && run.every((c) => lines.col(c) === next.col)
      // at the end of the document: no value comes after it
      const inert = next === undefined
      for (const o of part.offsets) out.set(o, { place, certain, ...(inert ? { inert } : {}) })
    }
  }
  return out
}

const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i)

function lineText(text: string, lines: LineIndex, line: number): string {
  const start = lines.startOfLine(line)
  if (start === null) return ''
  const end = text.indexOf('\n', start)
  return text.slice(start, end < 0 ? text.length : end)
}

/** The enclosing paths of `path`, innermost first: other places sops may have put a comment. */
export const enclosingPaths = (path: readonly string[]): (readonly string[])[] =>
  path.map((_, i) => path.slice(0, path.length - 1 - i))

/** Every distinct path of the anchors, once. */
export function distinctPaths(anchors: readonly Anchor[]): (readonly string[])[] {
  const seen = new Map<string, readonly string[]>()
  for (const a of anchors) seen.set(a.path.join('\u0000'), a.path)
  return [...seen.values()]
}
