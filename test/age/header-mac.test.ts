/**
 * The header MAC is compared in constant time (crypto.timingSafeEqual), as age and typage do:
 * a comparison that stops at the first wrong byte would tell a forger how much was right.
 * The comparison is observed through node:crypto, mocked to record its calls.
 */
import * as crypto from 'node:crypto'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import {
  AgeError,
  decrypt,
  encrypt,
  generateIdentity,
  identityToRecipient,
  parseIdentity,
  parseRecipient,
} from '../../src/age/index.js'

vi.mock('node:crypto', async (original) => {
  const actual = await original<typeof crypto>()
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) }
})

describe('the header MAC', () => {
  beforeEach(() => {
    vi.mocked(crypto.timingSafeEqual).mockClear()
  })

  it('is compared with timingSafeEqual, for a good MAC and for a forged one', () => {
    const identity = generateIdentity()
    const sealed = Buffer.from(encrypt(Buffer.from('a secret\n'), [parseRecipient(identityToRecipient(identity))]))
    expect(Buffer.from(decrypt(sealed, [parseIdentity(identity)])).toString()).toBe('a secret\n')
    const calls = vi.mocked(crypto.timingSafeEqual).mock.calls
    expect(calls.length).toBe(1)
    expect(calls[0]!.map((b) => (b as Uint8Array).length)).toEqual([32, 32])

    // A different MAC of the same length: the last base64 character of the MAC line changed.
    const macEnd = sealed.indexOf('\n', sealed.indexOf('\n--- ') + 1) - 1
    const forged = Buffer.from(sealed)
    forged[macEnd] = forged[macEnd] === 0x41 /* A */ ? 0x51 /* Q */ : 0x41
    vi.mocked(crypto.timingSafeEqual).mockClear()
    expect(() => decrypt(forged, [parseIdentity(identity)])).toThrow(AgeError)
    expect(vi.mocked(crypto.timingSafeEqual).mock.calls.length).toBe(1)
  })
})
