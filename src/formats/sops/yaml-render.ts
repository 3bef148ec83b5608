/**
 * Writing values back into YAML text: an `ENC[...]` string where a value was, keeping the user's
 * quoting on it, and on decryption the value spelled the way that style asks for (see
 * yaml-scalar.ts); block scalars; aliases expanded in place.
 */
import type { Scalar } from 'yaml'
import type { Edit, Slot, SlotOutput, ValueSlot } from './tree.js'
import type { Typed } from './values.js'
import { doubleQuoted, inlineString, literalBlock, plainSafe, typedLiteral } from './yaml-scalar.js'

export type Range = readonly [number, number, number?]
export const rangeOf = (node: { range?: Range | null }): Range => node.range ?? [0, 0, 0]

/** A scalar in the source: where to write its replacement. */
export interface ScalarPlace {
  node: Scalar
  flow: boolean
  parentCol: number
  /** the `-` of the block sequence item the scalar is */
  dash?: number
}
/** An aliased node as it is expanded at the alias. */
export type Shape =
  | { kind: 'map'; entries: { key: string; child: Shape }[] }
  | { kind: 'seq'; items: Shape[] }
  | { kind: 'leaf'; slot: ValueSlot }
  | { kind: 'null' }

const BLOCK_HEADER = /^[|>](?:[1-9][-+]?|[-+][1-9]?)?/

export class YamlRenderer {
  constructor(
    private readonly text: string,
    private readonly nl: string,
    /** the document's indentation step */
    private readonly unit: number,
  ) {}

  scalarEdits(place: ScalarPlace, out: SlotOutput): Edit[] {
    const { node, flow } = place
    const [start, end] = rangeOf(node)
    if ('plain' in out && out.asComment && place.dash !== undefined) {
      // a comment sops stored as a sequence item goes back to being a comment line, as `sops -d` prints it
      const indent = ' '.repeat(place.parentCol)
      return [{ start: place.dash, end, text: `#${out.plain.text.replace(/\r?\n/g, `${this.nl}${indent}#`)}` }]
    }
    if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') return this.blockEdits(place, out)
    if ('enc' in out) {
      // the user's quoting rides on the ENC scalar; in flow context (where ENC cannot be plain)
      // single quotes stand for plain, so `[a, "b"]` comes back as written
      const text =
        node.type === 'QUOTE_DOUBLE' ? `"${out.enc}"` : node.type === 'QUOTE_SINGLE' || flow ? `'${out.enc}'` : out.enc
      return [{ start, end, text }]
    }
    const t = out.plain
    if (t.type !== 'str') return [{ start, end, text: typedLiteral(t) }]
    const style =
      node.type === 'QUOTE_DOUBLE'
        ? 'double'
        : node.type === 'QUOTE_SINGLE' && !flow
          ? 'single'
          : node.tag
            ? 'tagged'
            : 'plain'
    if (style !== 'single' && style !== 'double' && !flow && t.text.includes('\n')) {
      const block = literalBlock(t.text, ' '.repeat(place.parentCol + this.unit), this.nl)
      const lineEnd = this.text.indexOf('\n', end)
      if (block && lineEnd >= 0)
        return [
          { start, end, text: block.header },
          { start: lineEnd + 1, end: lineEnd + 1, text: block.body },
        ]
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
      const indent = Math.max(
        0,
        (/^ */.exec(firstContent?.[0] ?? '')?.[0].length ?? place.parentCol + this.unit) - extra,
      )
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
    if (block)
      return [
        { start, end: start + header.length, text: block.header },
        { ...first, text: block.body },
      ]
    return [
      { start, end: start + header.length, text: t.type === 'str' ? doubleQuoted(t.text) : typedLiteral(t) },
      { ...first, text: '' },
    ]
  }

  /** An alias expanded where it was: a scalar, or a flow collection (a ciphertext is bound to one path). */
  shape(shape: Shape, flow: boolean, outputs: ReadonlyMap<Slot, SlotOutput>): string {
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
