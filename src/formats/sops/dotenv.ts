/**
 * The dotenv store (docs/sops-format.md §4 "dotenv", stores/dotenv/store.go): one `KEY=value` per line, the key
 * is everything before the first `=`, the value everything after, untrimmed and unquoted; the two
 * characters `\n` in a value stand for a newline. `#` lines are comments (top-level additional
 * data). Lines are kept as written (blank lines, `export`, quotes, CRLF as part of the value, as
 * sops reads it); the metadata follows as `sops_...` lines.
 */
import type { ParsedStore } from './engine.js'
import { SopsError } from './errors.js'
import { flattenMetadata, unflattenMetadata, type MetaTree } from './metadata.js'
import {
  appendedBlock,
  appendedBlockRange,
  applyEdits,
  CommentStack,
  type CommentSlot,
  type Edit,
  type Slot,
  type SlotOutput,
  type ValueSlot,
} from './tree.js'
import { formatValToStringFloat, str, type Typed } from './values.js'

const PREFIX = 'sops_'

/** Go `stores.ValToString` for the types sops could have put in a dotenv or INI file (what `sops -d` prints). */
export function flatValue(t: Typed): string {
  if (t.type === 'bool') return t.text === 'True' ? 'true' : 'false'
  if (t.type === 'float') return formatValToStringFloat(t.text)
  return t.text
}

class DotenvDocument implements ParsedStore {
  readonly slots: Slot[] = []
  readonly metadata: MetaTree | null = null
  readonly hasSopsKey: boolean
  /** sops's tree is one branch: a comment line is a comment key, a value line an item */
  readonly commentStacks: ReadonlyMap<Slot, readonly CommentSlot[]>
  private readonly places = new Map<Slot, [number, number]>()
  /** [start of line, end of line text] of each sops_ line */
  private readonly sopsLines: [number, number][] = []

  constructor(private readonly text: string) {
    const meta: [string, string][] = []
    const stack = new CommentStack()
    this.commentStacks = stack.of
    let start = 0
    let n = 0
    for (const line of text.split('\n')) {
      n++
      const lineStart = start
      start += line.length + 1
      if (line.length === 0) continue
      const where = `line ${n}`
      if (line.startsWith('#')) {
        const slot: CommentSlot = { kind: 'comment', path: [], alternatives: [], text: line.slice(1), where }
        this.slots.push(slot)
        this.places.set(slot, [lineStart + 1, lineStart + line.length])
        stack.comment(slot)
        continue
      }
      const eq = line.indexOf('=')
      if (eq < 0) throw new SopsError('parse', `${where}: not KEY=VALUE or a # comment (sops rejects such lines)`)
      const key = line.slice(0, eq)
      const value = line.slice(eq + 1).replace(/\\n/g, '\n')
      if (key.startsWith(PREFIX)) {
        meta.push([key.slice(PREFIX.length), value])
        this.sopsLines.push([lineStart, lineStart + line.length])
        continue
      }
      const slot: ValueSlot = { kind: 'value', path: [key], display: [key], value: str(value), where }
      this.slots.push(slot)
      this.places.set(slot, [lineStart + eq + 1, lineStart + line.length])
      stack.value(slot)
      stack.spent()
    }
    this.hasSopsKey = meta.length > 0
    if (meta.length > 0) this.metadata = unflattenMetadata(meta)
  }

  emit(outputs: ReadonlyMap<Slot, SlotOutput>, metadata: MetaTree | null): string {
    const edits: Edit[] = []
    for (const [slot, [start, end]] of this.places) {
      const out = outputs.get(slot)
      if (out) edits.push({ start, end, text: 'enc' in out ? out.enc : flatValue(out.plain).replace(/\n/g, '\\n') })
    }
    const first = this.sopsLines[0]
    const last = this.sopsLines[this.sopsLines.length - 1]
    if (first && last && this.text.slice(last[1]).replace(/\n/g, '') === '' && this.isContiguous()) {
      const [start, end] = appendedBlockRange(this.text, first[0], last[1], '\n')
      edits.push({ start, end, text: '' })
    } else {
      for (const [start, end] of this.sopsLines)
        edits.push({ start, end: Math.min(end + 1, this.text.length), text: '' })
    }
    if (metadata) {
      const lines = flattenMetadata(metadata, PREFIX).map(([k, v]) => `${k}=${v.replace(/\n/g, '\\n')}`)
      edits.push({
        start: this.text.length,
        end: this.text.length,
        text: (before) => appendedBlock(before, lines, '\n'),
      })
    }
    return applyEdits(this.text, edits)
  }

  /** Whether the sops_ lines follow one another (blank lines aside). */
  private isContiguous(): boolean {
    return this.sopsLines.every(([, end], i) => {
      const next = this.sopsLines[i + 1]
      return !next || /^\n+$/.test(this.text.slice(end, next[0]))
    })
  }
}

/** Parses a dotenv document. @throws {SopsError} 'parse' for a line that is neither KEY=VALUE nor a comment. */
export function parseDotenv(text: string): ParsedStore & { hasSopsKey: boolean } {
  return new DotenvDocument(text)
}
