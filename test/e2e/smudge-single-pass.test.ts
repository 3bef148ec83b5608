// A large secret within the hold limit is decrypted once on checkout: its plaintext is held in
// memory while every chunk is authenticated (the ciphertext alone is spilled), then sent;
// beyond the limit, the spilled ciphertext is decrypted a second time, as before.
import { randomBytes } from 'node:crypto'
import { readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { expectNoLeak, sealedRepo, type Repo } from '../helpers/repo.js'

const MARKER = 'single-pass-marker-2b9d'
const MiB = 1 << 20

function bigSecret(size: number): Buffer {
  const body = randomBytes(size)
  body.write(MARKER, 0)
  body.write(MARKER, size - MARKER.length)
  return body
}

const spills = (repo: Repo): string[] => readdirSync(join(repo.dir, '.git', 'git-seal')).filter((n) => n.startsWith('private-spill-'))

/** A 6 MiB secret (past the 4 MiB read whole), committed, removed and checked out again with `env`. */
function checkoutBig(env: Record<string, string>): { repo: Repo; secret: Buffer; stderr: string } {
  const { repo } = sealedRepo()
  const secret = bigSecret(6 * MiB)
  repo.write('secrets/big.bin', secret)
  repo.git('add', 'secrets/big.bin')
  repo.git('commit', '-qm', 'big')
  rmSync(join(repo.dir, 'secrets', 'big.bin'))
  // A 1 MiB spill threshold: the ciphertext goes to a file, as it would past 8 MiB.
  const r = repo.run('git', ['checkout', '--', 'secrets/big.bin'], { env: { ...repo.env, GIT_SEAL_SPILL_THRESHOLD: String(MiB), GIT_SEAL_DEBUG: 'smudge', ...env } })
  expect(r.status, r.stderr).toBe(0)
  return { repo, secret, stderr: r.stderr }
}

describe('checkout of a large secret', () => {
  it('within the hold limit: decrypted once, with only the ciphertext spilled', () => {
    const { repo, secret, stderr } = checkoutBig({})
    expect(stderr).toContain('secrets/big.bin: decrypted once, the plaintext held in memory (ciphertext spilled)')
    expect(repo.read('secrets/big.bin').equals(secret)).toBe(true)
    expect(spills(repo)).toEqual([])
    expect(repo.git('status', '--porcelain')).toBe('')
    expectNoLeak(repo, MARKER)
  })

  it('past the hold limit: decrypted twice, the second time from the spilled ciphertext', () => {
    const { repo, secret, stderr } = checkoutBig({ GIT_SEAL_SMUDGE_BUDGET: String(4 * MiB) })
    expect(stderr).toContain('secrets/big.bin: decrypted twice, the second time from the spilled ciphertext (ciphertext spilled)')
    expect(repo.read('secrets/big.bin').equals(secret)).toBe(true)
    expect(spills(repo)).toEqual([])
    expectNoLeak(repo, MARKER)
  })
})
