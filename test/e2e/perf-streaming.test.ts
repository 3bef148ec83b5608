// Large secrets with bounded memory: clean encrypts as the file arrives and holds the
// ciphertext in a spill file past a threshold; smudge authenticates every chunk before any
// plaintext goes out, and a damaged blob leaves its ciphertext, never partial plaintext.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type Repo, bigSecret, expectNoLeak, isAgeFile, sealedRepo, spillDirs, tempDir } from '../helpers/repo.js'

const MARKER = 'streaming-marker-77e1'
const MiB = 1 << 20

const spills = (repo: Repo): string[] => spillDirs(join(repo.dir, '.git', 'git-seal'))

/** The filter wrapped in /usr/bin/time: its own peak RSS in KiB, written to a file per run. */
function withRss(_repo: Repo): { args: (label: string) => string[]; rss: (label: string) => number } | null {
  if (!existsSync('/usr/bin/time')) {
    console.log('skipped the RSS check: /usr/bin/time is not installed')
    return null
  }
  const dir = tempDir()
  return {
    args: (label) => [
      '-c',
      `filter.git-seal.process=/usr/bin/time -f %M -o '${join(dir, label)}' .git/git-seal/git-seal filter-process`,
    ],
    rss: (label) => Number(readFileSync(join(dir, label), 'utf8').trim().split('\n').pop()),
  }
}

describe('large secrets, bounded memory', () => {
  it('a 160 MiB secret round-trips through a spill file, with the filter holding a fraction of it', () => {
    const { repo } = sealedRepo()
    const size = 160 * MiB
    const secret = bigSecret(size, MARKER)
    repo.write('secrets/big.bin', secret)
    const rss = withRss(repo)
    repo.git(...(rss?.args('add') ?? []), 'add', 'secrets/big.bin')
    const blob = repo.blob(':secrets/big.bin')
    expect(isAgeFile(blob)).toBe(true)
    expect(blob.length).toBeGreaterThan(size)
    repo.git('commit', '-qm', 'big')
    rmSync(join(repo.dir, 'secrets', 'big.bin'))
    repo.git(...(rss?.args('checkout') ?? []), 'checkout', '--', 'secrets/big.bin')
    expect(repo.read('secrets/big.bin').equals(secret)).toBe(true)
    // status after a touch: clean again, unchanged, so the stored blob comes back (through a spill too)
    const touched = spawnSync('touch', ['-d', '+5 seconds', join(repo.dir, 'secrets', 'big.bin')])
    expect(touched.status).toBe(0)
    expect(repo.git('status', '--porcelain')).toBe('')
    expect(spills(repo)).toEqual([])
    if (rss) {
      // Holding the file whole would take more than its size (and Node's own 40 MiB); the filter
      // holds a few MiB of it, plus what V8 lets pile up between collections.
      expect(rss.rss('add'), 'add: peak RSS in KiB').toBeLessThan(size / 1024)
      expect(rss.rss('checkout'), 'checkout: peak RSS in KiB').toBeLessThan(size / 1024)
    }
    expectNoLeak(repo, MARKER)
  })

  // 6 MiB: streamed (past the 4 MiB of whole files) but held in memory; 20 MiB: spilled.
  for (const size of [6 * MiB, 20 * MiB]) {
    it(`a damaged last chunk: checkout writes the ciphertext, not partial plaintext (${size / MiB} MiB)`, () => {
      const { repo } = sealedRepo()
      repo.env = { ...repo.env, GIT_SEAL_SPILL_THRESHOLD: String(8 * MiB) }
      const secret = bigSecret(size, MARKER)
      repo.write('secrets/big.bin', secret)
      repo.git('add', 'secrets/big.bin')
      const damaged = Buffer.from(repo.blob(':secrets/big.bin'))
      damaged[damaged.length - 3]! ^= 0x40 // the last chunk's tag
      repo.stageRaw('secrets/big.bin', damaged)
      repo.git('commit', '-qm', 'damaged')
      rmSync(join(repo.dir, 'secrets', 'big.bin'))
      const checkout = repo.tryGit('checkout', '--', 'secrets/big.bin')
      expect(checkout.status, checkout.stderr).toBe(0)
      expect(checkout.stderr).toContain('secrets/big.bin')
      expect(checkout.stderr).toContain('damaged ciphertext')
      expect(repo.read('secrets/big.bin').equals(damaged)).toBe(true)
      expect(spills(repo)).toEqual([])
      expectNoLeak(repo, MARKER)
    })
  }

  it('the one-shot smudge holds a large blob the same way', () => {
    const { repo } = sealedRepo()
    repo.env = { ...repo.env, GIT_SEAL_SPILL_THRESHOLD: String(MiB) }
    const secret = bigSecret(12 * MiB, MARKER)
    repo.write('secrets/big.bin', secret)
    repo.git('add', 'secrets/big.bin')
    const blob = repo.blob(':secrets/big.bin')
    const file = join(tempDir(), 'blob')
    writeFileSync(file, blob)
    const r = spawnSync('sh', ['-c', `.git/git-seal/git-seal smudge secrets/big.bin < '${file}'`], {
      cwd: repo.dir,
      env: repo.env,
      maxBuffer: 1 << 30,
    })
    expect(r.status, r.stderr.toString()).toBe(0)
    expect(r.stdout.equals(secret)).toBe(true)
    expect(spills(repo)).toEqual([])
  })

  it('a filter killed with a spill on disk leaves ciphertext only, which the next spill sweeps', () => {
    const { repo } = sealedRepo()
    repo.env = { ...repo.env, GIT_SEAL_SPILL_THRESHOLD: String(MiB) }
    repo.write('secrets/big.bin', bigSecret(6 * MiB, MARKER))
    const killed = repo.run('git', ['add', 'secrets/big.bin'], {
      env: { ...repo.env, GIT_SEAL_TEST_FAULT: 'kill-after-spill' },
    })
    expect(killed.status).not.toBe(0)
    expect(spills(repo)).toHaveLength(1)
    expectNoLeak(repo, MARKER) // what it left is ciphertext
    repo.git('add', 'secrets/big.bin')
    expect(spills(repo)).toEqual([])
    expect(isAgeFile(repo.blob(':secrets/big.bin'))).toBe(true)
  })
})
