/**
 * Typed values and their canonical plaintext, as sops (Go) spells them. The bytes sops encrypts
 * and hashes into the MAC are Go's renderings of the decoded value, not the source text
 * (docs/sops-format.md §1 "Types and canonical plaintext bytes", §2 "sops re-renders typed values before
 * hashing"), so a writer must produce exactly these strings.
 */
import { SopsError } from './errors.js'

export type ValueType = 'str' | 'int' | 'float' | 'bool' | 'time'

/** A leaf value: its sops type and canonical plaintext (what sops's `ToBytes` gives). */
export interface Typed {
  readonly type: ValueType
  readonly text: string
  /**
   * A YAML timestamp's text as written. sops >= 3.10 reads an unquoted timestamp as a time, so
   * unencrypted it is hashed as `text`; encrypted it is sealed as this string (docs/sops-format.md §1: no `time`
   * type, so sops <= 3.9 reads the file).
   */
  readonly source?: string
  /**
   * How sops reads the value where it stays in plaintext, when that differs from `type`/`text`:
   * an integer beyond int64, kept as a string when encrypted (sops would lose digits), is a
   * float64 to sops's JSON and YAML stores; the MAC of an unencrypted one hashes that float.
   */
  readonly plainAs?: Typed
  /**
   * The value cannot stay in plaintext as written: sops cannot load it (a YAML integer in the
   * uint64 range, a JSON number beyond float64). Where no rule encrypts it, it is written as
   * the string `text`.
   */
  readonly quoteWhenPlain?: boolean
}

export const str = (text: string): Typed => ({ type: 'str', text })

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
const UINT64_MAX = 2n ** 64n - 1n

export const inInt64 = (v: bigint): boolean => v >= INT64_MIN && v <= INT64_MAX
export const inUint64 = (v: bigint): boolean => v >= 0n && v <= UINT64_MAX

/** Go `strconv.FormatFloat(v, 'f', -1, 64)`: shortest round-trip digits, never an exponent. */
export function formatGoFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN'
  if (v === Infinity) return '+Inf'
  if (v === -Infinity) return '-Inf'
  if (v === 0) return Object.is(v, -0) ? '-0' : '0'
  // JS also prints the shortest round-trip digits; only its exponent form needs expanding.
  const s = String(v)
  const m = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(s)
  if (!m) return s
  const sign = m[1] ?? ''
  const digits = (m[2] ?? '') + (m[3] ?? '')
  const point = (m[2] ?? '').length + Number(m[4])
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length)
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`
}

/** Shortest round-trip digits and decimal exponent of a finite non-zero number (`1.5e3` → `15`, 3). */
function digitsOf(v: number): { digits: string; exp: number } {
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(Math.abs(v).toExponential())
  return { digits: (m?.[1] ?? '') + (m?.[2] ?? ''), exp: Number(m?.[3] ?? 0) }
}

/**
 * Go `strconv.FormatFloat(v, 'g', -1, 64)` (`'G'` when `upper`): the exponent form when the
 * exponent is below -4 or at least 6 (`1e+06`, `1.5e-05`), else as `'f'`.
 */
export function formatGoFloatG(v: number, upper = false): string {
  if (!Number.isFinite(v) || v === 0) return formatGoFloat(v)
  const { digits, exp } = digitsOf(v)
  if (exp >= -4 && exp < 6) return formatGoFloat(v)
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits
  const e = `${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`
  return `${v < 0 ? '-' : ''}${mantissa}${upper ? 'E' : 'e'}${e}`
}

/**
 * A float as Go's encoding/json writes it (what `sops -d` prints for a JSON float): `'f'`
 * between 1e-6 and 1e21, else the exponent form with at least one exponent digit (`1e-7`,
 * `1e+21`); an integral float has no fraction (`7`). Which is JavaScript's own spelling.
 */
export function formatJsonFloat(v: number): string {
  return Object.is(v, -0) ? '-0' : String(v)
}

/**
 * Go `strconv.ParseInt(s, 0, 64)` syntax (sign, 0x/0o/0b prefixes, a leading 0 for octal),
 * without the range check: null when `s` is not an integer literal.
 */
export function parseGoInteger(s: string): bigint | null {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]+|[1-9][0-9]*|0)$/.exec(s)
  if (!m) return null
  const body = m[2] ?? ''
  const octal = /^0[0-7]/.test(body) ? `0o${body.slice(1)}` : body
  const v = BigInt(octal.replace(/^0([XOB])/, (_, p: string) => `0${p.toLowerCase()}`))
  return m[1] === '-' ? -v : v
}

/** Go `strconv.ParseBool`. */
export function parseGoBool(s: string): boolean | null {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false
  return null
}

/** Go `strconv.ParseFloat(s, 64)` for the forms sops meets; null on syntax error or overflow. */
export function parseGoFloat(s: string): number | null {
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity
  if (/^[+-]?nan$/i.test(s)) return NaN
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return null
  const v = Number(s)
  return Number.isFinite(v) ? v : null
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0')
const daysIn = (y: number, m: number): number => new Date(Date.UTC(y, m, 0)).getUTCDate()

/**
 * A timestamp as Go's `time.Time.MarshalText` (RFC 3339 with nanoseconds, trailing zeros
 * dropped, `Z` for a zero offset) from its fields; null when a field is out of range.
 */
function rfc3339Nano(f: {
  y: number
  mo: number
  d: number
  h: number
  mi: number
  s: number
  frac: string
  zone: string
}): string | null {
  if (f.mo < 1 || f.mo > 12 || f.d < 1 || f.d > daysIn(f.y, f.mo) || f.h > 23 || f.mi > 59 || f.s > 59) return null
  const frac = f.frac.slice(0, 9).replace(/0+$/, '')
  const zone = /^[+-]00:00$/.test(f.zone) || f.zone === '' || f.zone === 'Z' || f.zone === 'z' ? 'Z' : f.zone
  return `${pad(f.y, 4)}-${pad(f.mo)}-${pad(f.d)}T${pad(f.h)}:${pad(f.mi)}:${pad(f.s)}${frac ? '.' + frac : ''}${zone}`
}

/**
 * yaml.v3's timestamp resolution (resolve.go `parseTimestamp`: RFC 3339 with short fields, a
 * space-separated form without zone, or a bare date), canonicalised as Go would print it.
 */
export function parseYamlTimestamp(s: string): string | null {
  const m =
    /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2}))|(?: (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d+))?))?$/.exec(
      s,
    )
  if (!m) return null
  const n = (i: number): number => Number(m[i] ?? 0)
  const spaced = m[9] !== undefined
  return rfc3339Nano({
    y: n(1),
    mo: n(2),
    d: n(3),
    h: spaced ? n(9) : n(4),
    mi: spaced ? n(10) : n(5),
    s: spaced ? n(11) : n(6),
    frac: (spaced ? m[12] : m[7]) ?? '',
    zone: spaced ? 'Z' : (m[8] ?? 'Z'),
  })
}

/** Go `time.Time.UnmarshalText` (strict RFC 3339), canonicalised; null when invalid. */
export function parseRfc3339(s: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(s)
  if (!m) return null
  const n = (i: number): number => Number(m[i])
  return rfc3339Nano({ y: n(1), mo: n(2), d: n(3), h: n(4), mi: n(5), s: n(6), frac: m[7] ?? '', zone: m[8] ?? 'Z' })
}

/**
 * The typed value sops's cipher returns for decrypted plaintext of a given `type:` (aes/cipher.go
 * `Decrypt`: Atoi, ParseFloat, ParseBool, time UnmarshalText), canonicalised as the MAC hashes it.
 * @throws {SopsError} 'bad-value' when the plaintext does not parse as its type.
 */
export function typedFromPlaintext(type: string, text: string, where: string): Typed {
  const bad = (): never => {
    throw new SopsError('bad-value', `${where}: decrypted value is not a valid ${type}`)
  }
  switch (type) {
    case 'str':
      return str(text)
    case 'int': {
      if (!/^[+-]?\d+$/.test(text)) return bad()
      const v = BigInt(text)
      return inInt64(v) ? { type: 'int', text: v.toString() } : bad()
    }
    case 'float': {
      const v = parseGoFloat(text)
      return v === null ? bad() : { type: 'float', text: formatGoFloat(v) }
    }
    case 'bool': {
      const v = parseGoBool(text)
      return v === null ? bad() : { type: 'bool', text: v ? 'True' : 'False' }
    }
    case 'time': {
      const v = parseRfc3339(text)
      return v === null ? bad() : { type: 'time', text: v }
    }
    default:
      throw new SopsError('bad-value', `${where}: unknown value type`)
  }
}

/**
 * Go `stores.ValToString` for a float (what `sops -d` prints in dotenv and INI files): `'G'`,
 * with `.0` added when that reads like an integer (`7.0`, `1.5`, `1E+21`).
 */
export function formatValToStringFloat(canonical: string): string {
  const g = formatGoFloatG(Number(canonical.replace(/^\+(?=Inf)/, '')), true)
  return /^[-+]?\d+$/.test(g) ? `${g}.0` : g
}
