/**
 * YAML scalars as sops sees them and as this module writes them back. Typing follows yaml.v3
 * (resolve.go), which sops uses, not the `yaml` package's YAML 1.2 schema: `0755` is octal,
 * `1_000` an int, `True` a bool, `yes` a string (docs/sops-format.md §4 "Value typing follows yaml.v3").
 * Rendering picks the spelling that reads back as the same value, preferring the style the
 * user wrote (which rides on the `ENC[...]` scalar).
 */
import { SopsError } from './errors.js'
import {
  formatGoFloat,
  formatGoFloatG,
  inInt64,
  inUint64,
  parseGoFloat,
  parseGoInteger,
  parseYamlTimestamp,
  str,
  type Typed,
} from './values.js'

export type Resolved =
  | { kind: 'null' }
  | { kind: 'str' }
  | { kind: 'uint' }
  /** a decimal integer beyond uint64 (or signed, beyond int64): a float to yaml.v3 */
  | { kind: 'bigint'; float: Typed }
  | { kind: 'timestamp'; text: string }
  | { kind: 'typed'; typed: Typed }

const BOOLS = new Map(Object.entries({ true: true, True: true, TRUE: true, false: false, False: false, FALSE: false }))
const NULLS = new Set(['', '~', 'null', 'Null', 'NULL'])
const SPECIAL_FLOATS = new Map(
  Object.entries({
    '.nan': 'NaN',
    '.NaN': 'NaN',
    '.NAN': 'NaN',
    '.inf': '+Inf',
    '.Inf': '+Inf',
    '.INF': '+Inf',
    '+.inf': '+Inf',
    '+.Inf': '+Inf',
    '+.INF': '+Inf',
    '-.inf': '-Inf',
    '-.Inf': '-Inf',
    '-.INF': '-Inf',
  }),
)
/** Characters no YAML scalar may hold as they are (C0/C1 controls but tab and newline, BOM, lone surrogates). */
const UNPRINTABLE = String.raw`[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]`
const UNPRINTABLE_OR_NEWLINE = new RegExp(`${UNPRINTABLE}|\n`)
const UNPRINTABLE_IN_BLOCK = new RegExp(UNPRINTABLE)
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/

/** yaml.v3 `resolve("", s)`: what an untagged plain scalar is. */
export function resolvePlain(s: string): Resolved {
  if (NULLS.has(s)) return { kind: 'null' }
  const b = BOOLS.get(s)
  if (b !== undefined) return { kind: 'typed', typed: { type: 'bool', text: b ? 'True' : 'False' } }
  const special = SPECIAL_FLOATS.get(s)
  if (special !== undefined) return { kind: 'typed', typed: { type: 'float', text: special } }
  const c = s[0] ?? ''
  if (c === '.') {
    const f = parseGoFloat(s)
    if (f !== null && /^\.\d/.test(s)) return { kind: 'typed', typed: { type: 'float', text: formatGoFloat(f) } }
  } else if (/[-+0-9]/.test(c)) {
    const ts = parseYamlTimestamp(s)
    if (ts !== null) return { kind: 'timestamp', text: ts }
    const plain = s.replace(/_/g, '')
    const i = parseGoInteger(plain)
    if (i !== null && inInt64(i)) return { kind: 'typed', typed: { type: 'int', text: i.toString() } }
    if (i !== null && !plain.startsWith('-') && !plain.startsWith('+') && inUint64(i)) return { kind: 'uint' }
    if (YAML_STYLE_FLOAT.test(plain)) {
      const f = Number(plain)
      if (Number.isFinite(f)) {
        const float: Typed = { type: 'float', text: formatGoFloat(f) }
        return i !== null ? { kind: 'bigint', float } : { kind: 'typed', typed: float }
      }
    }
  }
  return { kind: 'str' }
}

/** `!!int` for `tag:yaml.org,2002:int`; other tags as written. */
export const shortTag = (tag: string | undefined | null): string | null =>
  tag ? tag.replace(/^tag:yaml\.org,2002:/, '!!') : null

/**
 * The value sops reads for a scalar (null: a null, which sops never visits).
 * @throws {SopsError} 'unsupported' for explicit `!!int`-like tags, which could not ride on an
 *   `ENC[...]` string, and `!!binary`.
 */
export function typedFromScalar(value: string, quoted: boolean, tag: string | null, where: string): Typed | null {
  if (tag === '!!str' || (tag !== null && !tag.startsWith('!!'))) return str(value)
  if (tag !== null) {
    if (tag === '!!null' && resolvePlain(value).kind === 'null') return null
    throw new SopsError(
      'unsupported',
      `${where}: an explicit ${tag} tag is not supported (remove it; the value is typed from its spelling)`,
    )
  }
  if (quoted) return str(value)
  const r = resolvePlain(value)
  switch (r.kind) {
    case 'null':
      return null
    case 'typed':
      return r.typed
    case 'timestamp':
      return { type: 'time', text: r.text, source: value }
    case 'bigint':
      // encrypted as a string (a float would lose digits); in plaintext sops reads the float
      return { ...str(value), plainAs: r.float }
    case 'uint':
      // yaml.v3 decodes it as uint64, which sops cannot walk: a string, quoted when left unencrypted
      return { ...str(value), quoteWhenPlain: true }
    default:
      return str(value)
  }
}

/**
 * Whether `s` can be written as a plain scalar that reads back as the same string (a timestamp
 * counts unless `strict`; with `tagged`, an explicit tag makes it a string whatever it spells).
 */
export function plainSafe(s: string, flow: boolean, strict = false, tagged = false): boolean {
  if (s === '' || /^\s|\s$/.test(s)) return false
  if (UNPRINTABLE_OR_NEWLINE.test(s)) return false
  if (/^[,[\]{}#&*!|>'"%@`]/.test(s) || /^[-?:](\s|$)/.test(s) || /^(---|\.\.\.)/.test(s)) return false
  if (/:(\s|$)/.test(s) || /\s#/.test(s)) return false
  if (flow && /[,[\]{}:]/.test(s)) return false
  if (s === '<<') return false
  if (tagged) return true
  const r = resolvePlain(s)
  return r.kind === 'str' || (!strict && r.kind === 'timestamp')
}

const ESCAPES = new Map(
  Object.entries({
    '\0': '\\0',
    '\x07': '\\a',
    '\b': '\\b',
    '\t': '\\t',
    '\n': '\\n',
    '\v': '\\v',
    '\f': '\\f',
    '\r': '\\r',
    '\x1b': '\\e',
    '"': '\\"',
    '\\': '\\\\',
    '\x85': '\\N',
    '\u2028': '\\L',
    '\u2029': '\\P',
  }),
)

/** A double-quoted scalar: escapes only what must be escaped. */
export function doubleQuoted(s: string): string {
  const body = s.replace(
    /[\u0000-\u001f"\\\u007f-\u009f\u2028\u2029\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    (c) => {
      const known = ESCAPES.get(c)
      if (known) return known
      const code = c.charCodeAt(0)
      return code <= 0xff
        ? `\\x${code.toString(16).toUpperCase().padStart(2, '0')}`
        : `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`
    },
  )
  return `"${body}"`
}

/** A single-quoted scalar on one line, or null when `s` cannot be one. */
export function singleQuoted(s: string): string | null {
  if (UNPRINTABLE_OR_NEWLINE.test(s)) return null
  return `'${s.replace(/'/g, "''")}'`
}

/**
 * A literal block scalar for `s`: the header (`|`, `|-`, `|+`, after an optional indentation
 * digit) and the body lines, each indented by `indent` and ended by `nl`. Null when `s` cannot
 * be one (control characters, or a first line starting with a space and no `digit` given).
 */
export function literalBlock(
  s: string,
  indent: string,
  nl: string,
  digit = '',
): { header: string; body: string } | null {
  if (s === '' || UNPRINTABLE_IN_BLOCK.test(s)) return null
  const trailing = /\n*$/.exec(s)?.[0].length ?? 0
  const chomp = trailing === 0 ? '-' : trailing === 1 && trailing < s.length ? '' : '+'
  const lines = (chomp === '-' ? s : s.slice(0, -1)).split('\n')
  const first = lines.find((l) => l !== '') ?? ''
  if (digit === '' && /^[ \t]/.test(first)) return null
  const body = lines.map((l) => (l === '' ? '' : indent + l)).join(nl) + nl
  return { header: `|${digit}${chomp}`, body }
}

/**
 * A non-string value as sops's YAML store (yaml.v3) prints it: floats in Go's `'g'` form, so an
 * integral float reads back as an int (`7`) and large or small ones take an exponent (`1e+06`);
 * re-encryption keeps the stored float type (engine.ts).
 */
export function typedLiteral(t: Typed): string {
  switch (t.type) {
    case 'bool':
      return t.text === 'True' ? 'true' : 'false'
    case 'float':
      return t.text === 'NaN'
        ? '.nan'
        : t.text === '+Inf'
          ? '.inf'
          : t.text === '-Inf'
            ? '-.inf'
            : formatGoFloatG(Number(t.text))
    default:
      return t.text
  }
}

/** One-line spelling of a string for a place that was written `style` (the user's choice, kept on the ENC scalar). */
export function inlineString(s: string, style: 'plain' | 'tagged' | 'single' | 'double', flow: boolean): string {
  if ((style === 'plain' || style === 'tagged') && plainSafe(s, flow, false, style === 'tagged')) return s
  if (style !== 'double') {
    const single = singleQuoted(s)
    if (single !== null) return single
  }
  return doubleQuoted(s)
}
