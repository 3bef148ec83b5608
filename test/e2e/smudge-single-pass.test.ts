import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { bigSecret, expectNoLeak, sealedRepo, spillDirs, type Repo } from '../helpers/repo.js'

const MARKER = 'single-pass-marker-2b9d'
const MiB = 1 << 20

const spills = (repo: Repo): string[] => spillDirs(join(repo.dir, '.git', 'git-seal'))

/** A 6 MiB secret (past the 4 MiB read whole), committed, removed and checked out again with `env`. */
function checkoutBig(env: Record<string, string>): { repo: Repo; secret: Buffer; stderr: string } {
  const { repo } = sealedRepo()
  const secret = bigSecret(6 * MiB, MARKER)
  repo.write('secrets/big.bin', secret)
  repo.git('add', 'secrets/big.bin')
  repo.git('commit', '-qm', 'big')
  rmSync(join(repo.dir, 'secrets', 'big.bin'))
  // The fingerprint clean recorded goes: the checkout must record it again.
  rmSync(join(repo.dir, '.git', 'git-seal', 'fingerprints'), { force: true })
  // A 1 MiB spill threshold: the ciphertext goes to a file, as it would past 8 MiB.
  const r = repo.run('git', ['checkout', '--', 'secrets/big.bin'], {
    env: { ...repo.env, GIT_SEAL_SPILL_THRESHOLD: String(MiB), GIT_SEAL_DEBUG: 'smudge', ...env },
  })
  expect(r.status, r.stderr).toBe(0)
  return { repo, secret, stderr: r.stderr }
}

describe('checkout of a large secret', () => {
  it('within the hold limit: decrypted once, and its ciphertext not written to disk', () => {
    const { repo, secret, stderr } = checkoutBig({})
    expect(stderr).toContain('secrets/big.bin: decrypted once, the plaintext held in memory (ciphertext not kept)')
    expect(repo.read('secrets/big.bin').equals(secret)).toBe(true)
    expect(spills(repo)).toEqual([])
    // Fingerprinted after the answer went out: recorded all the same.
    const blob = repo.git('rev-parse', ':secrets/big.bin').trim()
    expect(readFileSync(join(repo.dir, '.git', 'git-seal', 'fingerprints'), 'utf8')).toContain(`${blob} `)
    expect(repo.git('status', '--porcelain')).toBe('')
    expectNoLeak(repo, MARKER)
  })

  it('within the hold limit, a damaged last chunk: the work tree gets the stored blob, no plaintext', () => {
    const { repo } = sealedRepo()
    repo.write('secrets/big.bin', bigSecret(6 * MiB, MARKER))
    repo.git('add', 'secrets/big.bin')
    const damaged = Buffer.from(repo.blob(':secrets/big.bin'))
    damaged[damaged.length - 3]! ^= 0x40 // the last chunk's tag
    repo.stageRaw('secrets/big.bin', damaged)
    repo.git('commit', '-qm', 'damaged')
    rmSync(join(repo.dir, 'secrets', 'big.bin'))
    const r = repo.run('git', ['checkout', '--', 'secrets/big.bin'], {
      env: { ...repo.env, GIT_SEAL_SPILL_THRESHOLD: String(MiB) },
    })
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toContain('secrets/big.bin')
    expect(r.stderr).toContain('damaged ciphertext')
    expect(repo.read('secrets/big.bin').equals(damaged)).toBe(true)
    expect(spills(repo)).toEqual([])
    expectNoLeak(repo, MARKER)
  })

  it('past the hold limit: decrypted twice, the second time from the spilled ciphertext', () => {
    const { repo, secret, stderr } = checkoutBig({ GIT_SEAL_SMUDGE_BUDGET: String(4 * MiB) })
    expect(stderr).toContain(
      'secrets/big.bin: decrypted twice, the second time from the spilled ciphertext (ciphertext spilled)',
    )
    expect(repo.read('secrets/big.bin').equals(secret)).toBe(true)
    const blob = repo.git('rev-parse', ':secrets/big.bin').trim()
    expect(readFileSync(join(repo.dir, '.git', 'git-seal', 'fingerprints'), 'utf8')).toContain(`${blob} `)
    expect(spills(repo)).toEqual([])
    expectNoLeak(repo, MARKER)
  })
})
