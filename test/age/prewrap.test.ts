// Headers made ahead (src/age/prepared.ts) and on a second thread (src/age/prewrap.ts): the
// files they make are ordinary age files, each header is used once, and a worker that is
// missing or fails changes nothing but speed.
import fc from 'fast-check'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  decrypt,
  encrypt,
  generateIdentity,
  identityToRecipient,
  packPrepared,
  parseIdentity,
  parseRecipient,
  prepareHeader,
  unpackPrepared,
} from '../../src/age/index.js'
import { HeaderSupply } from '../../src/age/prewrap.js'
import * as rage from '../helpers/rage.js'
import { ROOT, ensureBundle } from '../helpers/repo.js'

const identity = generateIdentity()
const recipientText = identityToRecipient(identity)
const recipients = [parseRecipient(recipientText)]

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

describe('prepared headers', () => {
  it('make files rage decrypts; a header is never the same twice', async () => {
    const seen = new Set<string>()
    for (let i = 0; i < 20; i++) {
      const prepared = prepareHeader(recipients)
      const prefix = prepared.prefix.toString('latin1')
      expect(seen.has(prefix)).toBe(false)
      seen.add(prefix)
      const file = encrypt(Buffer.from(`value ${i}`), prepared)
      expect(Buffer.from(await rage.decrypt_with_x25519(identity, file)).toString()).toBe(`value ${i}`)
      expect(prepared.payloadKey.every((b) => b === 0)).toBe(true) // wiped once used
    }
  })

  it('pack and unpack round-trip any batch, and packing wipes the source keys (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20 }),
        fc.array(fc.uint8Array({ maxLength: 100 }), { minLength: 1, maxLength: 20 }),
        (n, plaintexts) => {
          const items = Array.from({ length: n }, () => prepareHeader(recipients))
          const copies = items.map((i) => ({ prefix: Buffer.from(i.prefix), payloadKey: Buffer.from(i.payloadKey) }))
          const { data, sizes } = packPrepared(items)
          expect(items.every((i) => i.payloadKey.every((b) => b === 0))).toBe(true)
          const back = unpackPrepared(data, sizes)
          expect(back.map((b) => [b.prefix.toString('hex'), b.payloadKey.toString('hex')])).toEqual(
            copies.map((c) => [c.prefix.toString('hex'), c.payloadKey.toString('hex')]),
          )
          back.forEach((prepared, i) => {
            const plaintext = plaintexts[i % plaintexts.length]!
            expect(
              Buffer.from(decrypt(encrypt(plaintext, prepared), [parseIdentity(identity)])).equals(
                Buffer.from(plaintext),
              ),
            ).toBe(true)
          })
        },
      ),
      { numRuns: 30 },
    )
  })

  it('unpack refuses sizes that run past the data', () => {
    const { data, sizes } = packPrepared([prepareHeader(recipients)])
    expect(() => unpackPrepared(data, [sizes[0]! + 1])).toThrow(/truncated/)
  })
})

describe('HeaderSupply', () => {
  const workerFile = join(ROOT, 'dist', 'prewrap-worker.mjs')

  it('hands out headers made by the worker once it has started, and they decrypt', () => {
    ensureBundle()
    const supply = new HeaderSupply({ workerFile, startAfter: 0 })
    const files: Uint8Array[] = []
    try {
      for (let i = 0; i < 400 && supply.counts.ahead < 100; i++) {
        files.push(
          encrypt(
            Buffer.from(`file ${i}`),
            supply.take([recipientText], () => recipients),
          ),
        )
        if (supply.counts.ahead === 0) sleep(5)
      }
    } finally {
      supply.close()
    }
    expect(supply.counts.ahead).toBeGreaterThanOrEqual(100)
    expect(new Set(files.map((f) => Buffer.from(f.subarray(0, 120)).toString('hex'))).size).toBe(files.length)
    files.forEach((file, i) => {
      expect(Buffer.from(decrypt(file, [parseIdentity(identity)])).toString()).toBe(`file ${i}`)
    })
  })

  it('makes every header inline before the threshold, without a worker file, or when the worker cannot parse the keys', () => {
    ensureBundle()
    const early = new HeaderSupply({ workerFile, startAfter: 1000 })
    const missing = new HeaderSupply({ workerFile: join(ROOT, 'dist', 'no-such-worker.mjs'), startAfter: 0 })
    for (let i = 0; i < 30; i++) {
      early.take([recipientText], () => recipients)
      missing.take([recipientText], () => recipients)
      sleep(2)
    }
    expect(early.counts).toEqual({ ahead: 0, inline: 30 })
    expect(missing.counts).toEqual({ ahead: 0, inline: 30 })
    early.close()
    missing.close()

    // The worker is told keys it cannot parse: it says so, and the request path wraps inline
    // with the recipients it was given.
    const broken = new HeaderSupply({ workerFile, startAfter: 0 })
    for (let i = 0; i < 40; i++) {
      const file = encrypt(
        Buffer.from('x'),
        broken.take(['not-a-recipient'], () => recipients),
      )
      expect(Buffer.from(decrypt(file, [parseIdentity(identity)])).toString()).toBe('x')
      sleep(3)
    }
    broken.close()
    expect(broken.counts).toEqual({ ahead: 0, inline: 40 })
  })

  it('keeps recipient sets apart', () => {
    ensureBundle()
    const other = generateIdentity()
    const otherRecipients = [parseRecipient(identityToRecipient(other))]
    const supply = new HeaderSupply({ workerFile, startAfter: 0 })
    try {
      for (let i = 0; i < 300 && supply.counts.ahead < 60; i++) {
        const mine = encrypt(
          Buffer.from('mine'),
          supply.take([recipientText], () => recipients),
        )
        const theirs = encrypt(
          Buffer.from('theirs'),
          supply.take([identityToRecipient(other)], () => otherRecipients),
        )
        expect(Buffer.from(decrypt(mine, [parseIdentity(identity)])).toString()).toBe('mine')
        expect(() => decrypt(mine, [parseIdentity(other)])).toThrow()
        expect(Buffer.from(decrypt(theirs, [parseIdentity(other)])).toString()).toBe('theirs')
        expect(() => decrypt(theirs, [parseIdentity(identity)])).toThrow()
        if (supply.counts.ahead === 0) sleep(5)
      }
    } finally {
      supply.close()
    }
    expect(supply.counts.ahead).toBeGreaterThanOrEqual(60)
  })
})
