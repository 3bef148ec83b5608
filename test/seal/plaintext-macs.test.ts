// Plaintext MACs (src/seal/plaintext-macs.ts; `fingerprints` on disk): a shortcut that must never claim a match it cannot prove.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { PlaintextMacs } from '../../src/seal/plaintext-macs.js'
import { tempDir } from '../helpers/repo.js'

const text = (s: string): Buffer => Buffer.from(s)

describe('PlaintextMacs', () => {
  it('has no key until the first record, then creates it 0600 and persists entries for the next process', () => {
    const dir = tempDir()
    const first = new PlaintextMacs(dir)
    expect(first.of(text('x'))).toBeNull()
    expect(first.matches('b1', text('x'))).toBe(false)
    first.record('b1', text('secret one'))
    first.flush()
    expect(statSync(join(dir, 'fingerprint.key')).mode & 0o777).toBe(0o600)
    expect(statSync(join(dir, 'fingerprints')).mode & 0o777).toBe(0o600)
    expect(readFileSync(join(dir, 'fingerprints'), 'latin1')).not.toContain('secret one')
    const next = new PlaintextMacs(dir)
    expect(next.matches('b1', text('secret one'))).toBe(true)
    expect(next.matches('b1', [text('secret'), text(' one')])).toBe(true)
    expect(next.matches('b1', text('secret two'))).toBe(false)
    expect(next.matches('b2', text('secret one'))).toBe(false)
  })

  it("proves a change only with a line's valid check; a line without one, or damaged, proves nothing", () => {
    const dir = tempDir()
    const first = new PlaintextMacs(dir)
    first.record('b1', text('one'))
    first.flush()
    const file = join(dir, 'fingerprints')
    const [blob, mac, check] = readFileSync(file, 'latin1').trim().split(' ')
    expect([blob, typeof mac, check?.length]).toEqual(['b1', 'string', 22])
    const verdicts = (): string[] => {
      const macs = new PlaintextMacs(dir)
      return [macs.compare('b1', text('one')), macs.compare('b1', text('two')), macs.compare('b2', text('one'))]
    }
    expect(verdicts()).toEqual(['same', 'changed', 'unknown'])
    // A line as earlier versions wrote it (no check): a match still holds, a mismatch proves nothing.
    writeFileSync(file, `${blob} ${mac}\n`)
    expect(verdicts()).toEqual(['same', 'unknown', 'unknown'])
    // A damaged check, or a check moved to another blob's line.
    writeFileSync(file, `${blob} ${mac} ${check!.slice(0, -1)}${check!.endsWith('A') ? 'B' : 'A'}\n`)
    expect(verdicts()[1]).toBe('unknown')
    writeFileSync(file, `b2 ${mac} ${check}\nb1 ${mac} ${check}\n`)
    expect(new PlaintextMacs(dir).compare('b2', text('two'))).toBe('unknown')
    // A damaged MAC with its old check: the check no longer fits, so nothing is proven.
    writeFileSync(file, `${blob} ${Buffer.alloc(32, 1).toString('base64')} ${check}\n`)
    expect(verdicts()).toEqual(['unknown', 'unknown', 'unknown'])
  })

  it('a new key starts an empty table: MACs under a key that is gone are dropped', () => {
    const dir = tempDir()
    const first = new PlaintextMacs(dir)
    first.record('b1', text('one'))
    first.flush()
    rmSync(join(dir, 'fingerprint.key'))
    const next = new PlaintextMacs(dir)
    next.record('b2', text('two'))
    next.flush()
    expect(readFileSync(join(dir, 'fingerprints'), 'latin1')).not.toContain('b1 ')
    expect(new PlaintextMacs(dir).compare('b1', text('other'))).toBe('unknown')
    expect(new PlaintextMacs(dir).compare('b2', text('two'))).toBe('same')
  })

  it('matches exactly the recorded plaintext (property)', () => {
    const dir = tempDir()
    const store = new PlaintextMacs(dir)
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), (a, b) => {
        store.record('blob', a)
        expect(store.matches('blob', a)).toBe(true)
        expect(store.matches('blob', b)).toBe(Buffer.from(a).equals(Buffer.from(b)))
      }),
      { numRuns: 200 },
    )
  })

  it('a key under another clone, or a wrong entry, never matches', () => {
    const a = tempDir()
    const b = tempDir()
    new PlaintextMacs(a).record('seed', text('s'))
    new PlaintextMacs(b).record('seed', text('s'))
    expect(readFileSync(join(a, 'fingerprint.key')).equals(readFileSync(join(b, 'fingerprint.key')))).toBe(false)
    const storeA = new PlaintextMacs(a)
    const fingerprintInB = new PlaintextMacs(b).of(text('value'))!
    writeFileSync(join(a, 'fingerprints'), `blob ${fingerprintInB}\nbroken-line\n`)
    expect(new PlaintextMacs(a).matches('blob', text('value'))).toBe(false)
    expect(storeA.matches('broken-line', text(''))).toBe(false)
  })

  it('two processes starting at once share one key', () => {
    const dir = tempDir()
    const one = new PlaintextMacs(dir)
    const two = new PlaintextMacs(dir)
    two.of(text('')) // looked before the key existed
    one.record('b', text('v'))
    one.flush()
    two.record('c', text('v'))
    two.flush()
    const third = new PlaintextMacs(dir)
    expect(third.matches('b', text('v')) && third.matches('c', text('v'))).toBe(true)
  })

  it("reads one blob's last line without parsing the table: a later line wins, a longer id never matches", () => {
    const dir = tempDir()
    const writer = new PlaintextMacs(dir)
    writer.record('b1', text('old'))
    writer.record('b1', text('new'))
    writer.record('xb1', text('other'))
    writer.flush()
    const lines = readFileSync(join(dir, 'fingerprints'), 'latin1').trim().split('\n')
    expect(lines).toHaveLength(3)
    const reader = new PlaintextMacs(dir)
    expect(reader.compare('b1', text('new'))).toBe('same')
    expect(reader.compare('b1', text('old'))).toBe('changed')
    expect(reader.compare('1', text('new'))).toBe('unknown')
    expect(reader.compare('xb1', text('other'))).toBe('same')
    reader.record('b2', text('two')) // recorded here, unflushed: seen by this process
    expect(reader.compare('b2', text('two'))).toBe('same')
  })

  it('rewrites the file without duplicates once they pile up', () => {
    const dir = tempDir()
    const store = new PlaintextMacs(dir)
    for (let i = 0; i < 3000; i++) {
      store.record('same-blob', text(`v${i % 2}`))
      store.record(`blob-${i % 5}`, text(`w${i}`))
    }
    store.flush()
    expect(readFileSync(join(dir, 'fingerprints'), 'latin1').split('\n').length).toBeGreaterThan(5000)
    const reloaded = new PlaintextMacs(dir)
    expect(reloaded.matches('same-blob', text('v1'))).toBe(true)
    expect(readFileSync(join(dir, 'fingerprints'), 'latin1').trim().split('\n')).toHaveLength(6)
    expect(reloaded.matches('blob-4', text('w2999'))).toBe(true)
  })

  it('a read-only state dir only turns the shortcut off', () => {
    if (process.getuid?.() === 0) {
      // root writes anyway: a missing dir stands in for a read-only one
      const store = new PlaintextMacs(join(tempDir(), 'missing'))
      expect(() => store.record('b', text('v'))).not.toThrow()
      expect(() => store.flush()).not.toThrow()
      expect(store.matches('b', text('v'))).toBe(false)
      return
    }
    const dir = tempDir()
    chmodSync(dir, 0o500)
    const store = new PlaintextMacs(dir)
    expect(() => store.record('b', text('v'))).not.toThrow()
    expect(() => store.flush()).not.toThrow()
    expect(store.matches('b', text('v'))).toBe(false)
  })

  it('erase forgets the key and every fingerprint', () => {
    const dir = tempDir()
    mkdirSync(dir, { recursive: true })
    const store = new PlaintextMacs(dir)
    store.record('b', text('v'))
    store.flush()
    PlaintextMacs.erase(dir)
    expect(existsSync(join(dir, 'fingerprints')) || existsSync(join(dir, 'fingerprint.key'))).toBe(false)
    expect(new PlaintextMacs(dir).matches('b', text('v'))).toBe(false)
  })
})
