// The in-process index reader against `git ls-files -s`, for every index version git writes.
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readIndexFile } from '../../src/git/index-file.js'
import { readLooseBlob } from '../../src/git/objects.js'
import { Repo, newHome } from '../helpers/repo.js'

function populate(repo: Repo): void {
  const names = [
    'a.txt',
    'dir/b.txt',
    'dir/sub/c.txt',
    'dir with space/d.txt',
    'ünïcode/名前.txt',
    ['x', 'y', 'z'].map((c) => c.repeat(200)).join('/') + '.txt',
    'z/z/z/z.txt',
  ]
  names.forEach((n, i) => {
    repo.write(n, `content ${i}\n`)
  })
  repo.git('add', '-A')
  repo.write('intent.txt', 'later\n')
  repo.git('add', '-N', 'intent.txt') // an extended-flags entry (index v3)
}

function expected(repo: Repo): Map<string, string> {
  const out = new Map<string, string>()
  for (const line of repo.git('ls-files', '-s', '-z').split('\0')) {
    if (!line) continue
    const [meta, path] = line.split('\t') as [string, string]
    const [, oid, stage] = meta.split(' ')
    if (stage === '0') out.set(path, oid!)
  }
  return out
}

describe('readIndexFile', () => {
  it.each([2, 3, 4])('reads index version %i', (version) => {
    const repo = Repo.init(newHome())
    populate(repo)
    repo.git('update-index', '--index-version', String(version))
    const entries = readIndexFile(join(repo.dir, '.git', 'index'), 20)
    expect(entries).toEqual(expected(repo))
    expect(entries!.size).toBe(8)
  })

  it('reads a SHA-256 repository', () => {
    const home = newHome()
    const repo = Repo.init(home)
    repo.git('init', '-q', '--object-format=sha256', 'sub')
    const sub = new Repo(join(repo.dir, 'sub'), home)
    populate(sub)
    expect(readIndexFile(join(sub.dir, '.git', 'index'), 32)).toEqual(expected(sub))
  })

  it('leaves a split index to git', () => {
    const repo = Repo.init(newHome())
    populate(repo)
    repo.git('update-index', '--split-index')
    expect(readIndexFile(join(repo.dir, '.git', 'index'), 20)).toBeNull()
  })

  it('reads a missing index as empty (a new repository), and refuses a foreign file', () => {
    expect(readIndexFile('/nonexistent/index', 20)).toEqual(new Map())
    const repo = Repo.init(newHome())
    repo.write('not-an-index', 'hello')
    expect(readIndexFile(join(repo.dir, 'not-an-index'), 20)).toBeNull()
  })

  it('reads loose blobs byte-exact, and leaves packed ones to git', () => {
    const repo = Repo.init(newHome())
    populate(repo)
    const oid = repo.git('rev-parse', ':a.txt').trim()
    expect(readLooseBlob(join(repo.dir, '.git', 'objects'), oid)?.toString()).toBe('content 0\n')
    repo.git('commit', '-qm', 'x')
    repo.git('gc', '-q', '--prune=now')
    expect(readLooseBlob(join(repo.dir, '.git', 'objects'), oid)).toBeNull()
  })
})
