/**
 * The age header: version line, recipient stanzas, MAC.
 * https://github.com/C2SP/C2SP/blob/main/age.md#header
 */
import { timingSafeEqual } from 'node:crypto'
import { AgeError } from './errors.js'
import { decodeBase64, encodeBase64, hkdf, hmac } from './primitives.js'

export const MAGIC = 'age-encryption.org/v1'
const MAGIC_LINE = Buffer.from(MAGIC + '\n', 'latin1')
const MAC_PREFIX = Buffer.from('\n--- ', 'latin1')

export interface Stanza {
  type: string
  args: string[]
  body: Uint8Array
}

export interface ParsedHeader {
  stanzas: Stanza[]
  /** bytes of the header, MAC line included */
  headerLength: number
  /** the header up to and including "---", which the MAC covers */
  macInput: Uint8Array
  mac: Uint8Array
}

const ARG = /^[\x21-\x7e]+$/

/**
 * The most recipient stanzas git-seal reads in one header, and writes.
 *
 * Opening a file tries every X25519 stanza with every identity, one key exchange each (about
 * 0.13 ms here): a hostile blob with 50,000 stanzas would cost over six seconds on every
 * checkout, `git status` and `git diff` that touches it, and anyone who can push can write one.
 * The age spec sets no limit (the reference implementation once allowed 20, then dropped the
 * limit), so this is git-seal's own bound: 256 stanzas, at most ~35 ms per identity and file,
 * far above any real recipient list (one stanza per admin and target of a group, plus a
 * post-quantum one per hybrid key). A header over it is refused before any key exchange, and
 * git-seal refuses to write one (a rule with more recipients fails at `git add`).
 */
export const MAX_STANZAS = 256

/**
 * @throws {AgeError} 'unsupported' when a header would hold more than {@link MAX_STANZAS} stanzas.
 */
export function checkStanzaCount(count: number): void {
  if (count > MAX_STANZAS)
    throw new AgeError(
      'unsupported',
      `header has ${count} recipient stanzas, more than the ${MAX_STANZAS} git-seal opens or writes`,
    )
}

/** Where the header ends (index after its final newline), or -1 when not all of it is here. */
export function headerEnd(bytes: Uint8Array): number {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const at = buf.indexOf(MAC_PREFIX)
  if (at < 0) return -1
  const nl = buf.indexOf(10, at + MAC_PREFIX.length)
  return nl < 0 ? -1 : nl + 1
}

/**
 * Parses the header at the start of `bytes`.
 * @throws {AgeError} 'bad-header' when it is malformed; 'truncated' when it does not end.
 */
export function parseHeader(bytes: Uint8Array): ParsedHeader {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (buf.length < MAGIC_LINE.length || !buf.subarray(0, MAGIC_LINE.length).equals(MAGIC_LINE)) {
    throw new AgeError('bad-header', 'not an age file (no age-encryption.org/v1 line)')
  }
  const end = headerEnd(buf)
  if (end < 0) throw new AgeError('truncated', 'header is truncated')
  const text = buf.subarray(0, end).toString('latin1')
  const lines = text.slice(0, -1).split('\n')
  const stanzas: Stanza[] = []
  let i = 1
  while (i < lines.length && lines[i]!.startsWith('-> ')) {
    const args = lines[i]!.slice(3).split(' ')
    if (args.some((a) => !ARG.test(a))) throw new AgeError('bad-header', 'malformed stanza line')
    const [type, ...rest] = args as [string, ...string[]]
    i++
    const body: Buffer[] = []
    for (;;) {
      const line = lines[i]
      if (line === undefined) throw new AgeError('bad-header', 'stanza body is truncated')
      if (line.length > 64) throw new AgeError('bad-header', 'stanza body line is longer than 64 columns')
      body.push(decodeBase64(line, 'stanza body'))
      i++
      if (line.length < 64) break
    }
    stanzas.push({ type, args: rest, body: Buffer.concat(body) })
  }
  if (stanzas.length === 0) throw new AgeError('bad-header', 'header has no recipient stanza')
  const macLine = lines[i]
  if (macLine === undefined || !macLine.startsWith('--- ') || i !== lines.length - 1)
    throw new AgeError('bad-header', 'malformed header')
  const macText = macLine.slice(4)
  const mac = decodeBase64(macText, 'header MAC')
  if (mac.length !== 32) throw new AgeError('bad-header', 'header MAC has the wrong length')
  return { stanzas, headerLength: end, macInput: buf.subarray(0, end - macText.length - 2), mac }
}

/** Serialises stanzas (bodies wrapped at 64 columns) without the MAC line. */
function stanzaText(stanzas: Stanza[]): string {
  let out = MAGIC + '\n'
  for (const s of stanzas) {
    out += `-> ${[s.type, ...s.args].join(' ')}\n`
    const b64 = encodeBase64(s.body)
    for (let i = 0; i <= b64.length; i += 64) out += b64.slice(i, i + 64) + '\n'
    // A body whose last line is exactly 64 columns ends with an empty line; the loop above
    // emits it because it runs while i <= length.
  }
  return out + '---'
}

export function headerMacKey(fileKey: Uint8Array): Buffer {
  return hkdf(fileKey, new Uint8Array(0), 'header')
}

/**
 * The full header, MAC included.
 * @throws {AgeError} 'unsupported' with more than {@link MAX_STANZAS} stanzas.
 */
export function writeHeader(stanzas: Stanza[], fileKey: Uint8Array): Buffer {
  checkStanzaCount(stanzas.length)
  const text = Buffer.from(stanzaText(stanzas), 'latin1')
  const mac = hmac(headerMacKey(fileKey), text)
  return Buffer.concat([text, Buffer.from(` ${encodeBase64(mac)}\n`, 'latin1')])
}

/** Checks the header MAC with a candidate file key. */
export function verifyHeaderMac(header: ParsedHeader, fileKey: Uint8Array): boolean {
  const expected = hmac(headerMacKey(fileKey), header.macInput)
  // In constant time, as age and typage compare it: how long a comparison takes must not say
  // how many bytes of a forged MAC were right. (Lengths are public: parseHeader requires 32.)
  return expected.length === header.mac.length && timingSafeEqual(expected, header.mac)
}
