// Spill: memory up to a threshold, then a private 0600 file; read back in order; gone after the answer.
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  encrypt,
  generateIdentity,
  identityToRecipient,
  parseIdentity,
  parseRecipient,
  prepareHeader,
} from '../../src/age/index.js'
import { blobId } from '../../src/git/objects.js'
import { Spill } from '../../src/seal/spill.js'
import { spillDirs, tempDir } from '../helpers/repo.js'

function pieces(total: number, size: number): Buffer[] {
  const out: Buffer[] = []
  for (let done = 0; done < total; done += size) out.push(randomBytes(Math.min(size, total - done)))
  return out
}

describe('Spill', () => {
  it('below the threshold: memory only, read back as written, blob id of the whole', () => {
    const state = tempDir()
    const spill = new Spill(state, 1000)
    const parts = pieces(900, 100)
    for (const p of parts) spill.write(p)
    expect(spill.spilled).toBe(false)
    expect(spillDirs(state)).toEqual([])
    expect(Buffer.concat([...spill]).equals(Buffer.concat(parts))).toBe(true)
    expect(spill.blobId()).toBe(blobId(Buffer.concat(parts)))
    spill.dispose()
  })

  it('past the threshold: a 0600 file in a private directory, read back whole, removed once answered', () => {
    const state = tempDir()
    const spill = new Spill(state, 1000)
    const parts = pieces(5 << 20, 70_000)
    for (const p of parts) spill.write(p)
    expect(spill.spilled).toBe(true)
    const [dir] = spillDirs(state)
    expect(statSync(join(state, dir!)).mode & 0o777).toBe(0o700)
    expect(statSync(join(state, dir!, 'ciphertext')).mode & 0o777).toBe(0o600)
    expect(readFileSync(join(state, dir!, 'ciphertext')).equals(Buffer.concat(parts))).toBe(true)
    expect(spill.blobId('sha256')).toBe(blobId(Buffer.concat(parts), 'sha256'))
    // read back in pieces of at most 1 MiB, each a buffer of its own
    const back = [...spill.answer()]
    expect(Math.max(...back.map((b) => b.length))).toBeLessThanOrEqual(1 << 20)
    expect(Buffer.concat(back).equals(Buffer.concat(parts))).toBe(true)
    expect(spillDirs(state)).toEqual([])
  })

  it('an answer abandoned midway, or disposed unread, removes the file too', () => {
    const state = tempDir()
    const a = new Spill(state, 10)
    for (const p of pieces(3 << 20, 1 << 16)) a.write(p)
    for (const _ of a.answer()) break
    const b = new Spill(state, 10)
    b.write(randomBytes(100))
    expect(spillDirs(state)).toHaveLength(1)
    b.dispose()
    b.dispose()
    expect(spillDirs(state)).toEqual([])
  })

  it('decrypts as it reads back; a chunk changed on disk meanwhile fails the read, never yields it', () => {
    const identity = generateIdentity()
    const plaintext = randomBytes(3 * 65536 + 123)
    const ciphertext = encrypt(plaintext, prepareHeader([parseRecipient(identityToRecipient(identity))]))
    const state = tempDir()
    const good = new Spill(state, 1)
    good.write(ciphertext)
    expect(Buffer.concat([...good.decryptedAnswer([parseIdentity(identity)])]).equals(plaintext)).toBe(true)
    expect(spillDirs(state)).toEqual([])

    const bad = new Spill(state, 1)
    bad.write(ciphertext)
    const file = join(state, spillDirs(state)[0]!, 'ciphertext')
    const damaged = Buffer.from(ciphertext)
    damaged[damaged.length - 5]! ^= 1 // in the last chunk
    writeFileSync(file, damaged)
    const seen: Buffer[] = []
    expect(() => {
      for (const piece of bad.decryptedAnswer([parseIdentity(identity)])) seen.push(Buffer.from(piece))
    }).toThrow()
    // what came out before the failure is authenticated plaintext, and not the last chunk
    expect(Buffer.concat(seen).length).toBeLessThan(plaintext.length)
    expect(plaintext.subarray(0, Buffer.concat(seen).length).equals(Buffer.concat(seen))).toBe(true)
    expect(existsSync(file)).toBe(false)
  })
})
