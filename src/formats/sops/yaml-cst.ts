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
 * a foot comment, to the last key or item at or left of its column). The alternatives are the
 * other paths sops might have used: the enclosing ones, then every path of the document.
 * `sorted`: the document's anchors in source order.
 */
export function commentPath(text: string, lines: LineIndex, sorted: readonly Anchor[], offset: number): { path: readonly string[]; alternatives: (readonly string[])[] } {
  const col = lines.col(offset)
  const ownLine = text.slice(lines.lineStart(offset), offset).trim() === ''
  const before = sorted.filter((a) => a.offset < offset)
  let path: readonly string[] = []
  if (!ownLine) path = before[before.length - 1]?.path ?? []
  else {
    const next = sorted.find((a) => a.offset > offset)
    path = next && col <= next.col ? next.path : ([...before].reverse().find((a) => a.col <= col)?.path ?? [])
  }
  const seen = new Set([path.join('\u0000')])
  const alternatives: (readonly string[])[] = []
  for (const p of [...path.map((_, i) => path.slice(0, path.length - 1 - i)), ...sorted.map((a) => a.path)]) {
    const k = p.join('\u0000')
    if (!seen.has(k)) {
      seen.add(k)
      alternatives.push(p)
    }
  }
  return { path, alternatives }
}
