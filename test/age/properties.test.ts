// Property tests and boundary tables for our age implementation.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  AgeError,
  DecryptStream,
  EncryptStream,
  decrypt,
  encrypt,
  generateIdentity,
  identityToRecipient,
  looksLikeAge,
  parseIdentity,
  readHeader,
  parseIdentityFile,
  parseRecipient,
} from '../../src/age/index.js'

const identity = generateIdentity()
const recipients = [parseRecipient(identityToRecipient(identity))]
const identities = [parseIdentity(identity)]

function split(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b)
  const out: Uint8Array[] = []
  let last = 0
  for (const p of points) {
    out.push(data.subarray(last, p))
    last = p
  }
  out.push(data.subarray(last))
  return out
}

describe('round trips (property)', () => {
  it('decrypt(encrypt(x)) = x', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200_000 }), (data) => {
        expect(Buffer.from(decrypt(encrypt(data, recipients), identities)).equals(Buffer.from(data))).toBe(true)
      }),
      { numRuns: 60 },
    )
  })

  it('streams fed in arbitrary pieces give the one-shot result', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200_000 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (data, cutsIn, cutsOut) => {
          const enc = new EncryptStream(recipients)
          const parts = split(data, cutsIn).map((p) => enc.update(p))
          const sealed = Buffer.concat([...parts, enc.final()])
          const dec = new DecryptStream(identities)
          const opened = Buffer.concat([...split(sealed, cutsOut).map((p) => dec.update(p)), dec.final()])
          expect(opened.equals(Buffer.from(data))).toBe(true)
        },
      ),
      { numRuns: 60 },
    )
  })

  it('any single-byte flip is an AgeError, never a wrong plaintext', () => {
    const data = Buffer.from('a small secret\n')
    const sealed = Buffer.from(encrypt(data, recipients))
    for (let i = 0; i < sealed.length; i++) {
      for (const bit of [0x01, 0x80]) {
        const damaged = Buffer.from(sealed)
        damaged[i]! ^= bit
        expect(() => decrypt(damaged, identities), `byte ${i}`).toThrow(AgeError)
      }
    }
  })

  it('every truncation is an error', () => {
    const sealed = Buffer.from(encrypt(Buffer.alloc(70_000, 1), recipients))
    for (let n = 0; n < sealed.length; n += n < 400 ? 1 : 997) {
      expect(() => decrypt(sealed.subarray(0, n), identities), `length ${n}`).toThrow(AgeError)
    }
  })
})

describe('boundaries', () => {
  it.each([0, 1, 65535, 65536, 65537, 131072, 131073])('%i bytes: chunking and size', (n) => {
    const sealed = encrypt(new Uint8Array(n), recipients)
    expect(decrypt(sealed, identities).length).toBe(n)
    const chunks = Math.max(1, Math.ceil(n / 65536))
    const headerLength = Buffer.from(sealed).indexOf('\n---') + 49 // LF, '--- ', 43 base64 characters, LF
    expect(sealed.length - headerLength - 16).toBe(n + 16 * chunks)
  })

  it('looksLikeAge needs a complete well-formed header, and no key', () => {
    const sealed = Buffer.from(encrypt(Buffer.from('x'), recipients))
    expect(looksLikeAge(sealed)).toBe(true)
    expect(looksLikeAge(sealed.subarray(0, 30))).toBe(false)
    expect(looksLikeAge(Buffer.from('age-encryption.org/v1\nhello\n'))).toBe(false)
    expect(looksLikeAge(Buffer.from('plain text'))).toBe(false)
    expect(looksLikeAge(new Uint8Array())).toBe(false)
  })

  it('looksLikeAge answers what parsing the header answers, whatever it was asked before', () => {
    // It remembers the last header it accepted (the filter asks two or three times per blob):
    // bytes sharing that header must parse, and any change inside the header must be parsed afresh.
    const sealed = Buffer.from(encrypt(Buffer.from('a secret'), recipients))
    const { headerLength } = readHeader(sealed)
    fc.assert(
      fc.property(fc.nat(sealed.length - 1), fc.integer({ min: 1, max: 255 }), fc.boolean(), (at, flip, cut) => {
        expect(looksLikeAge(sealed)).toBe(true)
        const changed = Buffer.from(sealed)
        changed[at]! ^= flip
        const input = cut ? changed.subarray(0, at + 1) : changed
        let parses = true
        try {
          readHeader(input)
        } catch {
          parses = false
        }
        expect(looksLikeAge(input)).toBe(parses)
        // A change past the header never matters; one inside it is parsed again.
        if (at >= headerLength && !cut) expect(parses).toBe(true)
      }),
      { numRuns: 300 },
    )
  })
})

describe('key files', () => {
  const a = generateIdentity()
  const b = generateIdentity()
  it.each([
    ['one key', `${a}\n`, [a]],
    ['comments and blank lines', `# created: now\n# public key: age1…\n\n${a}\n\n${b}\n`, [a, b]],
    ['CRLF', `# c\r\n${a}\r\n`, [a]],
    ['no final newline', a, [a]],
    ['empty', '', []],
  ])('%s', (_name, text, expected) => {
    expect(parseIdentityFile(text)).toEqual(expected)
  })

  it.each([
    ['junk line', `${a}\nnot a key\n`, 'line 2 is not an AGE-SECRET-KEY-1 identity'],
    ['damaged key', `${a.slice(0, -2)}QQ\n`, 'line 1 holds a malformed identity'],
  ])('refuses %s without echoing it', (_name, text, message) => {
    expect(() => parseIdentityFile(text)).toThrow(message)
    try {
      parseIdentityFile(text)
    } catch (e) {
      expect((e as Error).message).not.toContain(a.slice(20))
    }
  })
})
