// HEAD read from the ref files, held to `git rev-parse HEAD` in every layout git writes; the
// listing filed under HEAD's commit, held to `git ls-tree -r HEAD`; and a filter that lists
// HEAD with git once per commit, not once per start (issue 16).
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { headBlobs, looseListing, readHead } from '../../src/git/head-tree.js'
import { lsTree, parseLsTree } from '../../src/git/plumbing.js'
import { repoPaths } from '../../src/git/repo.js'
import { StateDirectory } from '../../src/git/state-dir.js'
import { newHome, sealedRepo, tempDir } from '../helpers/repo.js'

const home = newHome()
function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', args, { cwd, env: home.env })
  expect(r.status, r.stderr.toString()).toBe(0)
  return r.stdout.toString().trim()
}

function repoWithCommits(): string {
  const dir = realpathSync(tempDir())
  git(dir, 'init', '-q', '-b', 'main')
  mkdirSync(join(dir, 'd'))
  writeFileSync(join(dir, 'a b.txt'), 'a\n')
  writeFileSync(join(dir, 'd', 'c'), 'c\n')
  git(dir, 'add', '.')
  git(dir, 'commit', '-qm', 'one')
  writeFileSync(join(dir, 'a b.txt'), 'a2\n')
  git(dir, 'commit', '-qam', 'two')
  return dir
}

describe('readHead', () => {
  it('agrees with git: a loose branch, packed-refs, a detached HEAD, a linked worktree, sha256', () => {
    const dir = repoWithCommits()
    const paths = repoPaths(dir)
    expect(readHead(paths)).toEqual({ commit: git(dir, 'rev-parse', 'HEAD') })
    git(dir, 'pack-refs', '--all')
    expect(readHead(paths)).toEqual({ commit: git(dir, 'rev-parse', 'HEAD') })
    git(dir, 'checkout', '-q', '--detach', 'HEAD~1')
    expect(readHead(paths)).toEqual({ commit: git(dir, 'rev-parse', 'HEAD') })
    git(dir, 'checkout', '-q', 'main')
    const linked = join(realpathSync(tempDir()), 'linked')
    git(dir, 'worktree', 'add', '-q', '-b', 'side', linked, 'HEAD~1')
    expect(readHead(repoPaths(linked))).toEqual({ commit: git(linked, 'rev-parse', 'HEAD') })
    expect(readHead(repoPaths(linked))).not.toEqual(readHead(paths))

    const sha256 = realpathSync(tempDir())
    git(sha256, 'init', '-q', '--object-format=sha256')
    writeFileSync(join(sha256, 'f'), 'f\n')
    git(sha256, 'add', 'f')
    git(sha256, 'commit', '-qm', 'f')
    const head = git(sha256, 'rev-parse', 'HEAD')
    expect(head).toHaveLength(64)
    expect(readHead(repoPaths(sha256))).toEqual({ commit: head })
  })

  it('an unborn branch, loose or with packed-refs present', () => {
    const dir = realpathSync(tempDir())
    git(dir, 'init', '-q', '-b', 'main')
    expect(readHead(repoPaths(dir))).toEqual({ unborn: true })
    writeFileSync(join(dir, '.git', 'packed-refs'), '# pack-refs with: peeled fully-peeled sorted\n')
    expect(readHead(repoPaths(dir))).toEqual({ unborn: true })
  })

  it('anything uncertain is null (ask git): reftable, a ref outside refs/heads, a symbolic loose ref, damage', () => {
    const dir = repoWithCommits()
    const paths = repoPaths(dir)
    const headFile = join(dir, '.git', 'HEAD')
    const cases: [string, () => void][] = [
      ['a ref outside refs/heads', () => writeFileSync(headFile, 'ref: refs/remotes/origin/main\n')],
      ['a name climbing out', () => writeFileSync(headFile, 'ref: refs/heads/../../config\n')],
      ['a malformed HEAD', () => writeFileSync(headFile, 'nonsense\n')],
      [
        'a symbolic loose ref',
        () => {
          writeFileSync(headFile, 'ref: refs/heads/alias\n')
          writeFileSync(join(dir, '.git', 'refs', 'heads', 'alias'), 'ref: refs/heads/main\n')
        },
      ],
      ['a damaged loose ref', () => writeFileSync(join(dir, '.git', 'refs', 'heads', 'main'), 'deadbeef\n')],
      ['a reftable directory', () => mkdirSync(join(dir, '.git', 'reftable'))],
    ]
    const saved = readFileSync(headFile)
    const savedMain = readFileSync(join(dir, '.git', 'refs', 'heads', 'main'))
    for (const [name, damage] of cases) {
      damage()
      expect(readHead(paths), name).toBeNull()
      writeFileSync(headFile, saved)
      writeFileSync(join(dir, '.git', 'refs', 'heads', 'main'), savedMain)
      rmSync(join(dir, '.git', 'reftable'), { recursive: true, force: true })
      expect(readHead(paths), `${name}, restored`).not.toBeNull()
    }
  })
})

describe('headBlobs', () => {
  const listed = (dir: string): Map<string, string> =>
    new Map((lsTree(dir, 'HEAD') ?? []).filter((e) => e.type === 'blob').map((e) => [e.path, e.oid]))

  it("is git's listing, filed under HEAD's commit and read back from there until HEAD moves", () => {
    const dir = repoWithCommits()
    const paths = repoPaths(dir)
    const state = new StateDirectory(join(dir, '.git', 'git-seal'))
    state.create()
    const file = state.file('headTree')
    expect(headBlobs(dir, paths, state)).toEqual(listed(dir))
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const head = git(dir, 'rev-parse', 'HEAD')
    expect(readFileSync(file, 'latin1').split('\n')[0]).toBe(`git-seal head tree v1 ${head}`)

    // Read back from the file, not listed again: an entry only the file has shows it.
    const fake = 'f'.repeat(40)
    writeFileSync(file, Buffer.concat([readFileSync(file), Buffer.from(`100644 blob ${fake}\tonly-in-file\0`)]))
    expect(headBlobs(dir, paths, state).get('only-in-file')).toBe(fake)

    // HEAD moves: the filed listing is another commit's, so git lists the new one.
    writeFileSync(join(dir, 'new'), 'n\n')
    git(dir, 'add', 'new')
    git(dir, 'commit', '-qm', 'three')
    const now = headBlobs(dir, paths, state)
    expect(now).toEqual(listed(dir))
    expect(now.has('new')).toBe(true)
    expect(now.has('only-in-file')).toBe(false)
    expect(readFileSync(file, 'latin1').split('\n')[0]).toBe(`git-seal head tree v1 ${git(dir, 'rev-parse', 'HEAD')}`)
  })

  it('a listing cut short is not used; an unborn branch lists nothing; no state directory, nothing filed', () => {
    const dir = repoWithCommits()
    const paths = repoPaths(dir)
    const state = new StateDirectory(join(dir, '.git', 'git-seal'))
    expect(headBlobs(dir, paths, state)).toEqual(listed(dir))
    expect(() => statSync(state.file('headTree'))).toThrow() // the directory does not exist: not created for this
    state.create()
    headBlobs(dir, paths, state)
    const file = state.file('headTree')
    const whole = readFileSync(file)
    writeFileSync(file, whole.subarray(0, whole.length - 3))
    expect(headBlobs(dir, paths, state)).toEqual(listed(dir))

    const empty = realpathSync(tempDir())
    git(empty, 'init', '-q')
    expect(headBlobs(empty, repoPaths(empty), new StateDirectory(join(empty, '.git', 'git-seal')))).toEqual(new Map())
  })
})

describe('looseListing', () => {
  it("is git's listing of blobs, from loose objects; null once they are packed", () => {
    const dir = repoWithCommits()
    mkdirSync(join(dir, 'd', 'e', 'f'), { recursive: true })
    writeFileSync(join(dir, 'd', 'e', 'f', 'deep name.txt'), 'x\n')
    writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 })
    symlinkSync('a b.txt', join(dir, 'link'))
    git(dir, 'add', '.')
    git(dir, 'update-index', '--add', '--cacheinfo', `160000,${git(dir, 'rev-parse', 'HEAD')},sub`)
    git(dir, 'commit', '-qm', 'more')
    const paths = repoPaths(dir)
    const head = git(dir, 'rev-parse', 'HEAD')
    const loose = looseListing(paths, head)
    expect(loose).not.toBeNull()
    const fromGit = (lsTree(dir, 'HEAD') ?? []).filter((e) => e.type === 'blob')
    expect(parseLsTree(loose!.toString('utf8')).sort((a, b) => a.path.localeCompare(b.path))).toEqual(
      fromGit.sort((a, b) => a.path.localeCompare(b.path)),
    )
    git(dir, 'gc', '-q')
    expect(looseListing(paths, head)).toBeNull()
    expect(headBlobs(dir, paths, new StateDirectory(join(dir, '.git', 'git-seal')))).toEqual(
      new Map(fromGit.map((e) => [e.path, e.oid])),
    )
  })
})

describe('looseListing of names that are not UTF-8', () => {
  it('gives the bytes git lists (a directory name is not decoded and encoded again)', () => {
    const dir = repoWithCommits()
    const odd = Buffer.concat([Buffer.from(`${dir}/caf`), Buffer.from([0xe9, 0xff])])
    mkdirSync(odd)
    writeFileSync(Buffer.concat([odd, Buffer.from('/x.txt')]), 'x\n')
    git(dir, 'add', '.')
    git(dir, 'commit', '-qm', 'odd')
    const loose = looseListing(repoPaths(dir), git(dir, 'rev-parse', 'HEAD'))
    expect(loose).not.toBeNull()
    const entries = (bytes: Buffer): string[] =>
      bytes
        .toString('latin1')
        .split('\0')
        .filter((e) => e !== '')
        .sort()
    const fromGit = spawnSync('git', ['ls-tree', '-r', '-z', '--full-tree', 'HEAD'], { cwd: dir, env: home.env }).stdout
    expect(entries(loose!)).toEqual(entries(fromGit))
    expect(entries(loose!).some((e) => e.endsWith('\tcaf\xe9\xff/x.txt'))).toBe(true)
  })
})

describe('the filter lists HEAD with git once per commit', () => {
  it('git ls-tree runs at most once per commit, and not at all for a commit whose objects are loose', () => {
    const { repo } = sealedRepo()
    repo.write('secrets/a.txt', 'one\n')
    repo.git('add', '.')
    repo.git('commit', '-qm', 'one')
    /** The git commands the filter started during `git ARGS`, by name. */
    const children = (...args: string[]): string[] => {
      const trace = join(tempDir(), 'trace.json')
      const r = spawnSync('git', args, { cwd: repo.dir, env: { ...repo.home.env, GIT_TRACE2_EVENT: trace } })
      expect(r.status, r.stderr.toString()).toBe(0)
      return readFileSync(trace, 'utf8')
        .split('\n')
        .filter((l) => l.includes('"event":"start"'))
        .map((l) => (JSON.parse(l) as { argv: string[] }).argv[1] ?? '')
        .filter((name) => name !== args[0])
    }
    const lsTrees = (): number => {
      repo.write('secrets/a.txt', `${Math.random()}\n`)
      return children('add', 'secrets/a.txt').filter((c) => c === 'ls-tree').length
    }
    // Just committed: HEAD's commit and trees are loose objects, read in-process.
    expect(lsTrees()).toBe(0)
    expect(lsTrees()).toBe(0)
    // Packed (as in a clone, or after gc): git lists HEAD once, then the filed listing serves.
    repo.git('commit', '-qm', 'two')
    repo.git('gc', '-q')
    expect(lsTrees()).toBe(1)
    expect(lsTrees()).toBe(0)
    // With HEAD filed and git-seal's block deciding the attributes (git/block-attributes.ts),
    // add and checkout of a secret start no git child at all.
    repo.write('secrets/a.txt', 'three\n')
    expect(children('add', 'secrets/a.txt')).toEqual([])
    rmSync(join(repo.dir, 'secrets/a.txt'))
    expect(children('checkout', '--', 'secrets/a.txt')).toEqual([])
    expect(repo.read('secrets/a.txt').toString()).toBe('three\n')
    expect(repo.status()).toBe('M  secrets/a.txt\n')
  })
})
