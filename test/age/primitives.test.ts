// The fast paths in src/age/primitives.ts, checked against node:crypto's own slow paths.
import fc from 'fast-check'
import { createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ephemeralKeyPair, hkdf, randomBytes, rawPublicKey, x25519 } from '../../src/age/primitives.js'

describe('ephemeralKeyPair', () => {
  it('returns the public share of its private key (Diffie-Hellman agrees both ways)', () => {
    const other = generateKeyPairSync('x25519')
    const otherPoint = rawPublicKey(other.publicKey)
    for (let i = 0; i < 50; i++) {
      const { privateKey, share } = ephemeralKeyPair()
      expect(share).toHaveLength(32)
      expect(share.equals(rawPublicKey(createPublicKey(privateKey)))).toBe(true)
      const ours = x25519(privateKey, otherPoint, true)
      const theirs = diffieHellman({
        privateKey: other.privateKey,
        publicKey: createPublicKey({
          key: { kty: 'OKP', crv: 'X25519', x: share.toString('base64url') },
          format: 'jwk',
        }),
      })
      expect(ours.equals(theirs)).toBe(true)
    }
  })

  it('never repeats a share', () => {
    const shares = new Set(Array.from({ length: 200 }, () => ephemeralKeyPair().share.toString('hex')))
    expect(shares.size).toBe(200)
  })
})

describe('x25519', () => {
  it('refuses a low-order point, cached or not', () => {
    const { privateKey } = ephemeralKeyPair()
    for (const reused of [false, true]) {
      expect(() => x25519(privateKey, new Uint8Array(32), reused)).toThrow(/low-order|invalid/)
      expect(() => x25519(privateKey, new Uint8Array(31), reused)).toThrow(/invalid X25519 point/)
    }
  })

  it('a cached recipient key gives the same secret as a fresh import', () => {
    const recipient = rawPublicKey(generateKeyPairSync('x25519').publicKey)
    const { privateKey } = ephemeralKeyPair()
    const fresh = x25519(privateKey, recipient)
    expect(x25519(privateKey, recipient, true).equals(fresh)).toBe(true)
    expect(x25519(privateKey, recipient, true).equals(fresh)).toBe(true)
  })
})

describe('hkdf', () => {
  it('equals node:crypto hkdfSync for any key, salt, info and length (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 80 }),
        fc.uint8Array({ maxLength: 80 }),
        fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, 'x')),
        fc.integer({ min: 1, max: 64 }),
        (ikm, salt, info, length) => {
          const expected = Buffer.from(hkdfSync('sha256', ikm, salt, info, length))
          expect(hkdf(ikm, salt, info, length).equals(expected)).toBe(true)
        },
      ),
      { numRuns: 300 },
    )
  })
})

describe('randomBytes', () => {
  it('hands out lengths on either side of the pool size, never the same bytes twice', () => {
    const seen = new Set<string>()
    for (const n of [1, 16, 32, 4095, 4096, 4097, 10_000, 32, 16]) {
      const bytes = randomBytes(n)
      expect(bytes).toHaveLength(n)
      if (n >= 16) {
        expect(seen.has(bytes.toString('hex'))).toBe(false)
        seen.add(bytes.toString('hex'))
      }
    }
    // a long run crosses many refills: 16-byte keys stay distinct
    const keys = new Set(Array.from({ length: 2000 }, () => randomBytes(16).toString('hex')))
    expect(keys.size).toBe(2000)
  })

  it('returns a copy: changing it does not change the next bytes', () => {
    const a = randomBytes(32)
    a.fill(0)
    expect(randomBytes(32).every((b) => b === 0)).toBe(false)
  })
})

describe('X25519Identity.parse', () => {
  it('parses a key once however often it is asked (a filter start asks three times), and refuses what is no key', async () => {
    const { X25519Identity } = await import('../../src/age/x25519.js')
    const { generateIdentity, identityToRecipient } = await import('../../src/age/index.js')
    const text = generateIdentity()
    const first = X25519Identity.parse(text)
    expect(X25519Identity.parse(`  ${text}\n`)).toBe(first)
    expect(X25519Identity.parse(generateIdentity())).not.toBe(first)
    expect(identityToRecipient(text)).toMatch(/^age1/)
    expect(() => X25519Identity.parse(text.slice(0, -1))).toThrow()
  })
})
