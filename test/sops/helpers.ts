/**
 * Test support for the sops format module: fixtures, age wrapping with typage (age-encryption),
 * and an independent sops reader (node:crypto + the `yaml` package + JSON.parse) that checks
 * values and the MAC without any code from src/.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { armor, Decrypter, Encrypter, generateIdentity, identityToRecipient } from 'age-encryption'
import { expect } from 'vitest'
import { isMap, isScalar, isSeq, parseAllDocuments, type Node as YamlNode } from 'yaml'

export const FIXTURES = fileURLToPath(new URL('../fixtures/sops/', import.meta.url))
export const fixture = (name: string): Buffer => readFileSync(FIXTURES + name)
export const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8')
export const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'))

/** The data keys of the getsops fixtures (recovered once with gpg from sops's public test key). */
export const getsopsKeys: Record<string, string> = JSON.parse(fixture('getsops/data-keys.json').toString('utf8'))

export interface AgeKey {
  identity: string
  recipient: string
}
export async function newAgeKey(): Promise<AgeKey> {
  const identity = await generateIdentity()
  return { identity, recipient: await identityToRecipient(identity) }
}

/** The data key wrapped for `recipient` as sops does: an armored age file. */
export async function wrap(dataKey: Uint8Array, recipient: string): Promise<string> {
  const e = new Encrypter()
  e.addRecipient(recipient)
  return armor.encode(await e.encrypt(dataKey))
}

export async function unwrap(enc: string, identity: string): Promise<Uint8Array> {
  const d = new Decrypter()
  d.addIdentity(identity)
  return d.decrypt(armor.decode(enc))
}

export const newDataKey = (): Uint8Array => new Uint8Array(randomBytes(32))

// ---- an independent sops reader -------------------------------------------------------------

const ENC = /^ENC\[AES256_GCM,data:([^,]*),iv:([^,]+),tag:([^,]+),type:([a-z]+)\]$/

/** Decrypts one sops value with node:crypto. */
export function openEnc(value: string, key: Uint8Array, ad: string): { type: string; plaintext: string } {
  const m = ENC.exec(value)
  if (!m) throw new Error('not an ENC value')
  const d = createDecipheriv('aes-256-gcm', key, Buffer.from(m[2]!, 'base64'))
  d.setAAD(Buffer.from(ad))
  d.setAuthTag(Buffer.from(m[3]!, 'base64'))
  const plaintext = Buffer.concat([d.update(Buffer.from(m[1]!, 'base64')), d.final()]).toString('utf8')
  return { type: m[4]!, plaintext }
}

/** Encrypts one sops value with node:crypto (a 32-byte IV, as sops): for documents built as sops writes them. */
export function sealEnc(plaintext: string, type: string, key: Uint8Array, ad: string): string {
  const iv = randomBytes(32)
  const c = createCipheriv('aes-256-gcm', key, iv)
  c.setAAD(Buffer.from(ad))
  const data = Buffer.concat([c.update(plaintext, 'utf8'), c.final()])
  return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${iv.toString('base64')},tag:${c.getAuthTag().toString('base64')},type:${type}]`
}

/** Leaves of a plain JS tree in document order, with sops's additional data (mapping keys only). */
function* leaves(v: unknown, path: string[]): Generator<{ path: string[]; value: unknown }> {
  if (Array.isArray(v)) for (const item of v) yield* leaves(item, path)
  else if (v !== null && typeof v === 'object')
    for (const [k, child] of Object.entries(v)) yield* leaves(child, [...path, k])
  else if (v !== null && v !== undefined) yield { path, value: v }
}

/** The YAML documents of a sops file as ordered JS trees (yaml.Document keeps key order). */
function yamlTrees(src: string): unknown[] {
  const toJs = (n: YamlNode | null | undefined): unknown => {
    if (n === null || n === undefined) return null
    if (isScalar(n)) return n.value
    if (isSeq(n)) return n.items.map((i) => toJs(i as YamlNode))
    // a `!!merge <<` key is the key `<<` to sops (the `yaml` package gives it a symbol)
    const keyOf = (k: { value: unknown; source?: string }): string =>
      typeof k.value === 'symbol' ? String(k.source) : String(k.value)
    if (isMap(n))
      return Object.fromEntries(n.items.map((p) => [keyOf(p.key as { value: unknown }), toJs(p.value as YamlNode)]))
    return null
  }
  // integers as BigInt: the `yaml` package's parseInt rounds long ones differently from Go's ParseFloat
  return parseAllDocuments(src, { intAsBigInt: true }).map((d) => toJs(d.contents as YamlNode))
}

/**
 * The sections of an INI file as go-ini (sops's INI library) reads them, simplified to what a
 * sops file holds: `[name]` headers, `key = value` / `key: value` lines, `#`/`;` comment lines,
 * values trimmed, an inline comment cut at the first `#`/`;`, surrounding quotes stripped, and
 * backtick or triple-quote values (one line, or over several). Keys before a header are DEFAULT.
 */
function iniSections(src: string): { name: string; entries: [string, string][] }[] {
  const sections = [{ name: 'DEFAULT', entries: [] as [string, string][] }]
  const lines = src.replace(/^\ufeff/, '').split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    if (line.startsWith('[')) {
      sections.push({ name: line.slice(1, line.lastIndexOf(']')), entries: [] })
      continue
    }
    const d = line.search(/[=:]/)
    const key = line.slice(0, d).trim()
    let value = line.slice(d + 1).trim()
    const quote = value.startsWith('"""') ? '"""' : value.startsWith('`') ? '`' : ''
    if (quote) {
      let body = value.slice(quote.length)
      while (body.lastIndexOf(quote) < 0 && i + 1 < lines.length) body += '\n' + lines[++i]!
      value = body.slice(0, body.lastIndexOf(quote))
    } else {
      const c = value.search(/[#;]/)
      if (c >= 0) value = value.slice(0, c).trim()
      if (/^"[^"]*"$|^'[^']*'$/.test(value)) value = value.slice(1, -1)
    }
    sections[sections.length - 1]!.entries.push([key, value])
  }
  return sections
}

/** Go `strconv.FormatFloat(v, 'f', -1, 64)`, spelled out from the shortest exponent form. */
function goFloat(v: number): string {
  const [mantissa = '', exp = '0'] = Math.abs(v).toExponential().split('e')
  const digits = mantissa.replace('.', '')
  const point = 1 + Number(exp)
  const body =
    point <= 0
      ? `0.${'0'.repeat(-point)}${digits}`
      : point >= digits.length
        ? digits + '0'.repeat(point - digits.length)
        : `${digits.slice(0, point)}.${digits.slice(point)}`
  return (v < 0 ? '-' : '') + body
}

export interface CheckOptions {
  /**
   * Also require every comment line (`#`, and `;` in INI) to be empty or an `ENC[...]` that
   * decrypts with the key path of some key of the document (or the top level): no comment in
   * plaintext. Not for YAML comments inside block scalars or quoted text (none in its users).
   */
  comments?: boolean
  /**
   * Which values must be encrypted. Default: those under no key ending in `_unencrypted`;
   * 'as-found': every `ENC[...]` value is decrypted, every other value is taken as plaintext
   * (for rules this checker does not evaluate, such as comment regexes).
   */
  encrypted?: ((path: string[]) => boolean) | 'as-found'
}

/**
 * Checks a sops document the way sops does, without src/: every value that must be encrypted
 * decrypts with its key path as additional data, and the MAC (SHA-512 over the values'
 * plaintext in document order, plaintext numbers as Go prints them) matches. Returns the
 * decrypted leaves.
 */
export function independentCheck(
  src: string,
  store: 'yaml' | 'json' | 'dotenv' | 'ini',
  key: Uint8Array,
  options: CheckOptions = {},
): { path: string; type: string; plaintext: string }[] {
  let trees: unknown[]
  let meta: Record<string, string>
  if (store === 'dotenv') {
    const entries = src
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const)
    // a list of one-entry maps: dotenv keys may repeat, and sops visits every line
    trees = [{ lines: entries.filter(([k]) => !k.startsWith('sops_')).map(([k, v]) => ({ [k]: v })) }]
    meta = Object.fromEntries(entries.filter(([k]) => k.startsWith('sops_')).map(([k, v]) => [k.slice(5), v]))
  } else if (store === 'ini') {
    const sections = iniSections(src)
    const data = sections.filter((s) => s.name !== 'sops')
    // a list of one-entry maps, as for dotenv (section names may repeat)
    trees = [{ lines: data.map((s) => ({ [s.name]: Object.fromEntries(s.entries) })) }]
    meta = Object.fromEntries(sections.find((s) => s.name === 'sops')?.entries ?? [])
  } else {
    trees = store === 'json' ? [JSON.parse(src)] : yamlTrees(src)
    meta = (trees[0] as { sops: Record<string, string> }).sops
  }
  const mustEncrypt = options.encrypted ?? ((path: string[]) => !path.some((p) => p.endsWith('_unencrypted')))
  const hash = createHash('sha512')
  const out: { path: string; type: string; plaintext: string }[] = []
  for (const tree of trees) {
    const { sops: _, ...data } = tree as Record<string, unknown>
    for (const { path: full, value } of leaves(data, [])) {
      const path = store === 'dotenv' || store === 'ini' ? full.slice(1) : full
      const encrypted =
        mustEncrypt === 'as-found' ? typeof value === 'string' && value.startsWith('ENC[') : mustEncrypt(path)
      let plaintext: string
      let type = typeof value
      if (encrypted && value !== '') {
        const opened = openEnc(String(value), key, path.join(':') + ':')
        plaintext = opened.plaintext
        type = opened.type as typeof type
      } else if (typeof value === 'bigint') {
        // yaml.v3 reads an integer beyond int64 (but not uint64, which sops cannot walk) as a float
        plaintext = value >= -(2n ** 63n) && value < 2n ** 63n ? String(value) : goFloat(Number(value))
      } else
        plaintext =
          typeof value === 'boolean'
            ? value
              ? 'True'
              : 'False'
            : typeof value === 'number'
              ? goFloat(value)
              : String(value)
      // a comment sops stored as a list item (`- ENC[...,type:comment]`) is outside the MAC (sops <= 3.13.1, >= 3.13.3)
      if ((type as string) !== 'comment') hash.update(plaintext)
      out.push({ path: path.join(':'), type, plaintext })
    }
  }
  const mac = openEnc(String(meta.mac), key, String(meta.lastmodified)).plaintext
  if (mac !== hash.digest('hex').toUpperCase()) throw new Error('independent MAC check failed')
  if (!/^(v?\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]*)?|1\..*)$/.test(String(meta.version)))
    throw new Error('not a version sops reads')
  if (options.comments)
    checkComments(
      src,
      store,
      key,
      out.map((l) => l.path),
    )
  return out
}

/** See `CheckOptions.comments`. */
function checkComments(src: string, store: string, key: Uint8Array, leafPaths: string[]): void {
  const paths = new Set([''])
  for (const p of leafPaths) {
    const parts = p.split(':')
    for (let i = 1; i <= parts.length; i++) paths.add(parts.slice(0, i).join(':'))
  }
  if (store === 'ini') for (const m of src.matchAll(/^\[([^\]]*)\]/gm)) paths.add(m[1]!).add('DEFAULT')
  // a ciphertext holds no `#`, `;` or space, so the first of these after a space starts a comment
  const marker = store === 'ini' ? /(?:^|\s)[#;][#; ]*(.*)$/ : /(?:^|\s)#(.*)$/
  for (const line of src.split('\n')) {
    if (/^\s*(\[sops\]|sops_|sops:)/.test(line)) break
    const body = marker.exec(line)?.[1]?.trim()
    if (body === undefined || body === '') continue
    if (!body.startsWith('ENC[')) throw new Error('a comment in plaintext')
    const opens = (p: string): boolean => {
      try {
        return openEnc(body, key, `${p}:`).type === 'comment'
      } catch {
        return false
      }
    }
    if (![...paths].some(opens)) throw new Error('a comment that does not decrypt')
  }
}
/** Lines of `b` that differ from `a` (same line count expected). */
export function changedLines(a: string, b: string): number[] {
  const x = a.split('\n')
  const y = b.split('\n')
  const out: number[] = []
  for (let i = 0; i < Math.max(x.length, y.length); i++) if (x[i] !== y[i]) out.push(i + 1)
  return out
}

/** Expects `run` to throw a SopsError with `code` and a message matching `message` that never quotes `secret`. */
export function expectRefusal(run: () => unknown, code: string, message: RegExp, secret = 's3cr3t'): void {
  let error: unknown
  try {
    run()
  } catch (e) {
    error = e
  }
  expect(error).toMatchObject({ name: 'SopsError', code })
  expect((error as Error).message).toMatch(message)
  expect((error as Error).message).not.toContain(secret)
}
