// The sh textconv driver and the Node textconv's ciphertext check, held together: wherever Node
// might take a file for ciphertext, sh must hand it to Node (it may hand over more, never less).
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { mightBeCiphertext } from '../../src/commands/textconv.js'
import { CIPHERTEXT_MARKERS, MARKER_CHECK, textconvCommand } from '../../src/git/textconv-sh.js'
import { TEXTCONV_COMMAND } from '../../src/git/install-table.js'
import { tempDir } from '../helpers/repo.js'

/** The sh check's exit status for each input (one sh for all of them). */
function shVerdicts(inputs: Uint8Array[]): number[] {
  const dir = tempDir('git-seal-tc-')
  const files = inputs.map((bytes, i) => {
    const file = join(dir, `in ${i}.txt`) // a space in the name, as git's temp files may have
    writeFileSync(file, bytes)
    return file
  })
  const script = `check() { ${MARKER_CHECK}; }\nfor f; do check "$f"; echo $?; done`
  const r = spawnSync('sh', ['-c', script, 'sh', ...files], { maxBuffer: 1 << 26 })
  expect(r.status, r.stderr.toString()).toBe(0)
  return r.stdout.toString().trim().split('\n').map(Number)
}

const latin1 = (s: string): Uint8Array => Buffer.from(s, 'latin1')
/** Whitespace as String.prototype.trimStart sees it in a latin1 decoding (0xA0 included). */
const whitespace = fc.constantFrom('\t', '\n', '\v', '\f', '\r', ' ', '\u00a0', '\r\n')
const crlf = (s: string): string => s.replace(/\n/g, '\r\n')

/** Inputs built to sit near the edges of both checks: markers at odd places, armor, CRLF, binary. */
const input = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  // A marker somewhere in random bytes (in the middle of a "line", across the 128-byte head…)
  fc
    .tuple(
      fc.uint8Array({ maxLength: 200 }),
      fc.constantFrom(...CIPHERTEXT_MARKERS, 'sops'),
      fc.uint8Array({ maxLength: 200 }),
      fc.boolean(),
    )
    .map(([a, m, b, sops]) => Buffer.concat([a, latin1(m), b, sops ? latin1('\nsops:\n') : new Uint8Array(0)])),
  // Armor after leading whitespace, possibly past the 128 bytes Node looks at, possibly CRLF.
  fc
    .tuple(fc.array(whitespace, { maxLength: 70 }), fc.boolean(), fc.string({ maxLength: 80 }))
    .map(([ws, useCrlf, body]) => {
      const text = `${ws.join('')}-----BEGIN AGE ENCRYPTED FILE-----\n${body}\n-----END AGE ENCRYPTED FILE-----\n`
      return latin1(useCrlf ? crlf(text) : text)
    }),
  // Binary age header, possibly CRLF-converted, possibly truncated to a prefix of the marker.
  fc.tuple(fc.boolean(), fc.nat({ max: 22 }), fc.uint8Array({ maxLength: 100 })).map(([useCrlf, cut, rest]) => {
    const head = 'age-encryption.org/v1\n-> X25519 abc\n'
    return Buffer.concat([latin1((useCrlf ? crlf(head) : head).slice(0, cut === 22 ? undefined : cut)), rest])
  }),
  // A sops-like document: values ENC[...] and a sops key, in YAML, JSON or dotenv shape.
  fc
    .tuple(
      fc.constantFrom(
        'a: ENC[AES256_GCM,data:x]\nsops:\n  mac: y\n',
        '{"a":"ENC[AES256_GCM,data:x]","sops":{}}',
        'a=ENC[AES256_GCM,data:x]\nsops_mac=y\n',
      ),
      fc.boolean(),
      fc.uint8Array({ maxLength: 50 }),
    )
    .map(([doc, useCrlf, noise]) => Buffer.concat([noise, latin1(useCrlf ? crlf(doc) : doc)])),
)

describe('sh textconv marker check', () => {
  it('is at least as broad as the Node check, on random inputs', () => {
    const samples = fc.sample(input, { numRuns: 600, seed: 16 })
    const verdicts = shVerdicts(samples)
    let nodeYes = 0
    let shOnly = 0
    samples.forEach((bytes, i) => {
      const node = mightBeCiphertext(Buffer.from(bytes))
      const sh = verdicts[i]
      // 1: grep's definite "no marker"; anything else sends the file to Node.
      if (node) {
        nodeYes++
        expect(
          sh,
          `Node takes input ${i} for ciphertext, sh would print it: ${JSON.stringify(Buffer.from(bytes).toString('latin1'))}`,
        ).not.toBe(1)
      } else if (sh !== 1) shOnly++
      // Its own contract: a marker anywhere is found, and no marker means exit 1.
      const hasMarker = CIPHERTEXT_MARKERS.some((m) => Buffer.from(bytes).includes(m))
      expect(sh, `input ${i}`).toBe(hasMarker ? 0 : 1)
    })
    // The generator reaches both sides of both checks (or the property would prove nothing).
    expect(nodeYes).toBeGreaterThan(100)
    expect(shOnly).toBeGreaterThan(10)
    expect(verdicts.filter((v) => v === 1).length).toBeGreaterThan(100)
  })

  it('holds for the property on fresh random runs too', () => {
    fc.assert(
      fc.property(fc.array(input, { minLength: 20, maxLength: 20 }), (batch) => {
        const verdicts = shVerdicts(batch)
        return batch.every((bytes, i) => !mightBeCiphertext(Buffer.from(bytes)) || verdicts[i] !== 1)
      }),
      { numRuns: 10 },
    )
  })
})

describe('sh textconv command', () => {
  /** A work tree whose launcher only records that it ran (and what it was asked). */
  function fakeInstall(): { dir: string; calls: () => string[] } {
    const dir = tempDir('git-seal-tc-')
    const record = join(dir, 'calls')
    mkdirSync(join(dir, '.git', 'git-seal'), { recursive: true })
    const launcher = join(dir, '.git', 'git-seal', 'git-seal')
    writeFileSync(launcher, `#!/bin/sh\necho "$*" >> '${record}'\necho "[from node]"\n`)
    chmodSync(launcher, 0o755)
    return { dir, calls: () => (existsSync(record) ? readFileSync(record, 'utf8').trim().split('\n') : []) }
  }

  const run = (dir: string, file: string) =>
    spawnSync('sh', ['-c', `${TEXTCONV_COMMAND} "$@"`, 'sh', file], { cwd: dir })

  it('is what the install table registers', () => {
    expect(TEXTCONV_COMMAND).toBe(textconvCommand())
  })

  it('prints plaintext itself, byte for byte, without the launcher', () => {
    const { dir, calls } = fakeInstall()
    const bytes = Buffer.concat([
      latin1('password=hunter2\r\n'),
      Buffer.from([0, 255, 0xa0, 10]),
      latin1('age-encryption.or\n'),
    ])
    writeFileSync(join(dir, 'plain file'), bytes)
    const r = run(dir, 'plain file')
    expect(r.status).toBe(0)
    expect(Buffer.compare(r.stdout, bytes)).toBe(0)
    expect(calls()).toEqual([])
  })

  it('hands anything carrying a marker to the launcher', () => {
    const { dir, calls } = fakeInstall()
    CIPHERTEXT_MARKERS.forEach((m, i) => {
      writeFileSync(join(dir, `c${i}`), `x\n${m}\n`)
    })
    for (let i = 0; i < CIPHERTEXT_MARKERS.length; i++)
      expect(run(dir, `c${i}`).stdout.toString()).toBe('[from node]\n')
    expect(calls()).toEqual(CIPHERTEXT_MARKERS.map((_, i) => `textconv c${i}`))
  })

  it('hands over an unreadable file rather than guess', () => {
    const { dir, calls } = fakeInstall()
    expect(run(dir, 'missing').stdout.toString()).toBe('[from node]\n')
    expect(calls()).toEqual(['textconv missing'])
  })
})
