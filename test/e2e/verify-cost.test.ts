// verify stays fast on long histories: each blob is read once per walk (verdicts cached by blob
// id), each config parsed once, whatever the number of commits and refs. Counted, not timed:
// the use case runs with an object reader that counts what it reads.
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CatFileBatch, type GitObject } from '../../src/git/objects.js'
import { verifyAll, verifyPushes, verifyRange, type ObjectReader } from '../../src/operations/verify.js'
import { type Repo, sealedRepo, tempDir } from '../helpers/repo.js'

class CountingReader implements ObjectReader {
  readonly reads = new Map<string, number>()
  private readonly inner: CatFileBatch
  constructor(dir: string) {
    this.inner = new CatFileBatch(dir)
  }
  get(spec: string): Promise<GitObject | null> {
    this.reads.set(spec, (this.reads.get(spec) ?? 0) + 1)
    return this.inner.get(spec)
  }
  close(): void {
    this.inner.close()
  }
  total(): number {
    return [...this.reads.values()].reduce((a, b) => a + b, 0)
  }
}

const ROUNDS = 30

/**
 * A history where one ciphertext blob and one plaintext blob come and go ROUNDS times each, at
 * two paths, plus merges that show them again against their other parent.
 */
function longHistory(): { repo: Repo; cipher: string; plain: string; config: string } {
  const { repo } = sealedRepo()
  repo.write('secrets/a.txt', 'a secret\n')
  repo.git('add', 'secrets/a.txt')
  repo.git('commit', '-qm', 'secret')
  const cipher = repo.git('rev-parse', 'HEAD:secrets/a.txt').trim()
  const plain = repo
    .run('git', ['hash-object', '-w', '--no-filters', '--stdin'], { input: 'leaked in plaintext\n' })
    .stdout.trim()
  const config = repo.git('rev-parse', 'HEAD:.gitseal.yaml').trim()
  for (let i = 0; i < ROUNDS; i++) {
    repo.git('update-index', '--force-remove', 'secrets/a.txt')
    repo.git(
      'update-index',
      '--add',
      '--cacheinfo',
      `100644,${cipher},secrets/b.txt`,
      '--cacheinfo',
      `100644,${plain},secrets/leak.txt`,
    )
    repo.git('commit', '-q', '--no-verify', '-m', `move ${i}`)
    repo.git('update-index', '--force-remove', 'secrets/b.txt', 'secrets/leak.txt')
    repo.git('update-index', '--add', '--cacheinfo', `100644,${cipher},secrets/a.txt`)
    repo.git('commit', '-q', '--no-verify', '-m', `back ${i}`)
    if (i % 5 === 0) {
      // a side branch with the leak, merged: the merge shows it again against the first parent
      repo.git('switch', '-q', '-c', `side${i}`)
      repo.git('update-index', '--add', '--cacheinfo', `100644,${plain},secrets/side${i}.txt`)
      repo.git('commit', '-q', '--no-verify', '-m', `side ${i}`)
      repo.git('switch', '-q', 'main')
      repo.git('merge', '-q', '--no-ff', '--no-verify', '-m', `merge ${i}`, `side${i}`)
    }
  }
  return { repo, cipher, plain, config }
}

describe('verify reads each blob once, however long the history', () => {
  const { repo, cipher, plain, config } = longHistory()
  const commits = Number(repo.git('rev-list', '--count', '--all').trim())

  it('--all: one read of each blob and of the config, every commit still judged', async () => {
    const reader = new CountingReader(repo.dir)
    const report = await verifyAll(repo.dir, { objects: reader })
    expect(report.commits).toBe(commits)
    expect(commits).toBeGreaterThan(2 * ROUNDS)
    // every commit that adds the plaintext blob is named, from one read of it
    const leaks = report.findings.filter((f) => f.kind === 'plaintext' && f.oid === plain)
    expect(leaks.length).toBeGreaterThanOrEqual(ROUNDS)
    expect(reader.reads.get(plain)).toBe(1)
    expect(reader.reads.get(cipher)).toBe(1)
    expect(reader.reads.get(config)).toBe(1)
    expect(reader.total()).toBeLessThanOrEqual(3)
    expect(report.findings.every((f) => f.kind === 'plaintext' && f.oid === plain)).toBe(true)
  })

  it('a range: the same', async () => {
    const reader = new CountingReader(repo.dir)
    const report = await verifyRange(repo.dir, 'HEAD~20..HEAD', { objects: reader })
    expect(report.commits).toBeGreaterThan(10)
    expect(reader.total()).toBeLessThanOrEqual(3)
  })

  it('--pre-receive: many refs of one push share the verdicts', async () => {
    const bare = join(tempDir('git-seal-server-'), 'server.git')
    repo.git('init', '-q', '--bare', bare)
    const first = repo.git('rev-list', '--max-parents=0', 'HEAD').trim()
    repo.git('push', '-q', bare, `${first}:refs/heads/main`)
    const head = repo.git('rev-parse', 'HEAD').trim()
    repo.git('push', '-q', bare, `${head}:refs/heads/incoming`)
    const updates = [
      { oldOid: first, newOid: head, ref: 'refs/heads/main' },
      ...Array.from({ length: 8 }, (_, i) => ({ oldOid: '0'.repeat(40), newOid: head, ref: `refs/heads/copy${i}` })),
    ]
    const reader = new CountingReader(bare)
    const reports = await verifyPushes(bare, updates, { objects: reader })
    expect(reports).toHaveLength(9)
    for (const r of reports)
      expect(
        r.findings.some((f) => f.kind === 'plaintext' && f.oid === plain),
        r.ref,
      ).toBe(true)
    expect(reader.reads.get(plain)).toBe(1)
    expect(reader.reads.get(cipher)).toBe(1)
    expect(reader.total()).toBeLessThanOrEqual(3)
  })
})
