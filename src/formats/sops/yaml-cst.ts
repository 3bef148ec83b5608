/**
 * What the YAML store takes from the `yaml` package's CST: comments, document boundaries, and
 * where sops's YAML store would put each comment (its additional data, spec §1).
 */
import type { LineIndex } from './tree.js'

/** Where a key or list item starts: what comments are attached to. */
export interface Anchor { offset: number; col: number; path: readonly string[] }

/** All comment tokens of the CST, in source order. */
export function cstComments(tokens: readonly unknown[]): { offset: number; source: string }[] {
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
export function boundaries(tokens: readonly { type: string; offset: number; start?: unknown }[], length: number): number[] {
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

/**
 * A comment's additional data: the mapping or list sops's YAML store would put it in (yaml.v3
 * head/line/foot rules, approximated by position: a comment on a line with content belongs where
 * that content is; one on its own line to the next key or item at its column or deeper, else, as
 * a foot comment, to the last key or item at or left of its column). `sorted`: the document's
 * anchors in source order.
 */
export function commentPath(text: string, lines: LineIndex, sorted: readonly Anchor[], offset: number): readonly string[] {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (sorted[mid]!.offset < offset) lo = mid + 1
    else hi = mid
  }
  // sorted[0, lo) start before the comment, sorted[lo] is the next one
  if (text.slice(lines.lineStart(offset), offset).trim() !== '') return sorted[lo - 1]?.path ?? []
  const col = lines.col(offset)
  const next = sorted[lo]
  if (next && col <= next.col) return next.path
  for (let i = lo - 1; i >= 0; i--) if (sorted[i]!.col <= col) return sorted[i]!.path
  return []
}

/** The enclosing paths of `path`, innermost first: other places sops may have put a comment. */
export const enclosingPaths = (path: readonly string[]): (readonly string[])[] => path.map((_, i) => path.slice(0, path.length - 1 - i))

/** Every distinct path of the anchors, once. */
export function distinctPaths(anchors: readonly Anchor[]): (readonly string[])[] {
  const seen = new Map<string, readonly string[]>()
  for (const a of anchors) seen.set(a.path.join('\u0000'), a.path)
  return [...seen.values()]
}
