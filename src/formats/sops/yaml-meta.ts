/**
 * The `sops:` block in YAML, laid out like the user's file (its indentation step and list
 * style) with sops 3.13's content: keys sorted, `lastmodified` double-quoted, each `enc` a
 * literal block (docs/sops-format.md §3, §4 "YAML").
 */
import type { MetaTree, MetaValue } from './metadata.js'
import { doubleQuoted, literalBlock, plainSafe } from './yaml-scalar.js'

/** A metadata scalar; strings that would read back as anything but a string are quoted. */
function scalar(v: MetaValue, flow = false): string {
  if (typeof v === 'string') return plainSafe(v, flow, true) ? v : doubleQuoted(v)
  return v === null ? 'null' : String(v)
}

/** The metadata as one flow mapping, for a document whose top level is a flow mapping. */
export function yamlFlowMetadata(v: MetaValue): string {
  if (Array.isArray(v)) return `[${v.map(yamlFlowMetadata).join(', ')}]`
  if (isMap(v))
    return `{${Object.entries(v)
      .map(([k, x]) => `${k}: ${yamlFlowMetadata(x)}`)
      .join(', ')}}`
  return scalar(v, true)
}

const isMap = (v: MetaValue): v is MetaTree => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * The lines of `sops:` followed by `tree`, the key at column `col`.
 * @param unit the document's indentation step
 * @param seqIndented whether lists are indented under their key (`key:\n  - a`) or not
 */
export function yamlMetadataLines(tree: MetaTree, col: number, unit: number, seqIndented: boolean): string[] {
  const lines = [`${' '.repeat(col)}sops:`]
  const map = (m: MetaTree, indent: number, firstPrefix?: string): void => {
    Object.entries(m).forEach(([key, v], i) => {
      const prefix = i === 0 && firstPrefix !== undefined ? firstPrefix : ' '.repeat(indent)
      if (Array.isArray(v)) {
        lines.push(`${prefix}${key}:`)
        const itemIndent = indent + (seqIndented ? unit : 0)
        for (const item of v) {
          if (isMap(item)) map(item, itemIndent + 2, `${' '.repeat(itemIndent)}- `)
          else lines.push(`${' '.repeat(itemIndent)}- ${scalar(item)}`)
        }
      } else if (isMap(v)) {
        lines.push(`${prefix}${key}:`)
        map(v, indent + unit)
      } else {
        const block =
          typeof v === 'string' && v.includes('\n') ? literalBlock(v, ' '.repeat(indent + unit), '\n') : null
        if (!block) {
          lines.push(`${prefix}${key}: ${scalar(v)}`)
          return
        }
        lines.push(`${prefix}${key}: ${block.header}`)
        lines.push(...block.body.slice(0, -1).split('\n'))
      }
    })
  }
  map(tree, col + unit)
  return lines
}
