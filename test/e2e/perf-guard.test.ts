// The guard's sh pre-check: a commit that stages no secret goes through without Node; each of
// (a) a staged secret, (b) a staged configuration file, (c) a state the last full guard did not
// see sends the commit to the full guard, which then refuses what it must.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { GUARD_STAMP_NAME } from '../../src/git/guard-precheck.js'
import { type Repo, expectNoLeak, sealedRepo, simpleConfig, tempDir } from '../helpers/repo.js'

const MARKER = 'guard-marker-93c2'

/**
 * Makes the installed launcher start a recording `node` (which then runs the real one), so a
 * test sees which git-seal commands started Node.
 */
function recordNode(repo: Repo): () => string[] {
  const launcher = join(repo.dir, '.git', 'git-seal', 'git-seal')
  const record = join(tempDir(), 'node-calls')
  const fake = join(tempDir(), 'node')
  // "$2" is the git-seal command (after the bundle).
  writeFileSync(fake, `#!/bin/sh\necho "$2" >> '${record}'\nexec '${process.execPath}' "$@"\n`)
  chmodSync(fake, 0o755)
  const text = readFileSync(launcher, 'utf8')
  expect(text).toMatch(/^node='[^']*'$/m)
  writeFileSync(launcher, text.replace(/^node='[^']*'$/m, `node='${fake}'`))
  return () => (existsSync(record) ? readFileSync(record, 'utf8').trim().split('\n') : [])
}

const guards = (calls: string[]): number => calls.filter((c) => c === 'guard').length
const stampFile = (repo: Repo): string => join(repo.dir, '.git', 'git-seal', GUARD_STAMP_NAME)

/** A sealed repo with a committed secret, the stamp written by the full guard, and Node recorded. */
function setup(paths?: string[]): { repo: Repo; calls: () => string[] } {
  const { repo } = sealedRepo(paths)
  repo.write('secrets/a.txt', `${MARKER} a\n`)
  repo.git('add', '.')
  repo.git('commit', '-qm', 'a secret')
  expect(existsSync(stampFile(repo))).toBe(true)
  return { repo, calls: recordNode(repo) }
}

function commitReadme(repo: Repo, text = `readme ${Math.random()}\n`): ReturnType<Repo['tryGit']> {
  repo.write('README.md', text)
  repo.git('add', 'README.md')
  return repo.tryGit('commit', '-qm', 'readme')
}

describe('guard pre-check in sh', () => {
  it('lets a commit that stages no secret through without Node, and leaves the stamp alone', () => {
    const { repo, calls } = setup()
    const before = readFileSync(stampFile(repo), 'utf8')
    for (let i = 0; i < 3; i++) expect(commitReadme(repo).status).toBe(0)
    expect(guards(calls())).toBe(0)
    expect(readFileSync(stampFile(repo), 'utf8')).toBe(before)
    // git commit --allow-empty, a merge of a branch that touched no secret: the same.
    repo.git('commit', '-q', '--allow-empty', '-m', 'empty')
    repo.git('checkout', '-qb', 'side')
    commitReadme(repo)
    repo.git('checkout', '-q', 'main')
    repo.write('other.txt', 'other\n')
    repo.git('add', 'other.txt')
    repo.git('commit', '-qm', 'other')
    const merge = repo.tryGit('merge', '--no-ff', '-qm', 'merge side', 'side')
    expect(merge.status, merge.stderr).toBe(0)
    expect(guards(calls())).toBe(0)
    expectNoLeak(repo, MARKER)
  })

  it('(a) a staged secret runs the full guard: refused in plaintext, also under a temporary index (commit -a, commit PATH)', () => {
    const { repo, calls } = setup()
    repo.stageRaw('secrets/b.txt', 'raw leak\n')
    const commit = repo.tryGit('commit', '-qm', 'leak')
    expect(commit.status).not.toBe(0)
    expect(commit.stderr).toContain('secrets/b.txt is staged in plaintext')
    expect(guards(calls())).toBe(1)
    repo.git('rm', '-q', '--cached', 'secrets/b.txt')

    // The secret is staged only in git's temporary index: the pre-check reads that one.
    repo.write('secrets/a.txt', `${MARKER} a2\n`)
    expect(repo.tryGit('commit', '-qam', 'edit a').status).toBe(0)
    expect(guards(calls())).toBe(2)
    repo.write('secrets/a.txt', `${MARKER} a3\n`)
    expect(repo.tryGit('commit', '-qm', 'edit a again', 'secrets/a.txt').status).toBe(0)
    expect(guards(calls())).toBe(3)
    expectNoLeak(repo, MARKER)
  })

  it('(a) a path a secret rule matches runs the full guard even when an attribute overrides its filter', () => {
    const { repo, calls } = setup()
    // A nested .gitattributes that takes the filter away (committed through the full guard).
    repo.write('secrets/deep/.gitattributes', '*.txt !filter !diff !merge\n')
    repo.git('add', 'secrets/deep/.gitattributes')
    expect(repo.tryGit('commit', '-qm', 'override').status).toBe(0)
    const afterOverride = guards(calls())
    repo.stageRaw('secrets/deep/x.txt', `${MARKER} unfiltered\n`)
    const commit = repo.tryGit('commit', '-qm', 'leak')
    expect(commit.status).not.toBe(0)
    expect(commit.stderr).toContain('secrets/deep/x.txt is staged in plaintext')
    expect(guards(calls())).toBe(afterOverride + 1)
  })

  it('(a) any git-seal filter (the ciphertext work tree driver too) runs the full guard, whatever the path is called', () => {
    const { repo, calls } = setup()
    repo.write('vendor/.gitattributes', '*.bin filter=git-seal-ct\n')
    repo.git('add', 'vendor/.gitattributes')
    repo.git('commit', '-qm', 'ct attributes')
    const before = guards(calls())
    repo.stageRaw('vendor/a b\nc.bin', 'not a secret by the config\n')
    repo.tryGit('commit', '-qm', 'ct file')
    expect(guards(calls())).toBe(before + 1)
    // a secret path with a space and a newline in its name, staged in plaintext
    repo.stageRaw('secrets/with space\nand newline.txt', `${MARKER} odd name\n`)
    const commit = repo.tryGit('commit', '-qm', 'odd')
    expect(commit.status).not.toBe(0)
    expect(guards(calls())).toBe(before + 2)
  })

  it('(b) a staged .gitattributes (any depth), .gitseal.yaml or .sops.yaml runs the full guard', () => {
    const { repo, calls } = setup()
    let expected = 0
    for (const path of [
      'docs/.gitattributes',
      'a/b\nc/.gitattributes',
      '.sops.yaml',
      'deploy/.sops.yaml',
      '.gitattributes',
    ]) {
      repo.write(
        path,
        path.endsWith('.gitattributes')
          ? path === '.gitattributes'
            ? repo.read('.gitattributes').toString() + '# comment\n'
            : '*.md text\n'
          : 'creation_rules: []\n',
      )
      repo.git('add', path)
      const commit = repo.tryGit('commit', '-qm', `add ${path}`)
      expect(commit.status, `${path}: ${commit.stderr}`).toBe(0)
      expect(guards(calls()), path).toBe(++expected)
    }
    // a change to the config: the full guard validates it (and refuses an invalid one)
    repo.write('.gitseal.yaml', repo.read('.gitseal.yaml').toString() + 'bogus: [\n')
    repo.git('add', '.gitseal.yaml')
    const invalid = repo.tryGit('commit', '-qm', 'invalid config')
    expect(invalid.status).not.toBe(0)
    expect(invalid.stderr).toContain('the staged .gitseal.yaml is invalid')
    expect(guards(calls())).toBe(++expected)
    // a deletion of a nested .gitattributes is a staged configuration change too
    repo.git('checkout', '-q', 'HEAD', '--', '.gitseal.yaml')
    repo.git('rm', '-q', 'docs/.gitattributes')
    expect(repo.tryGit('commit', '-qm', 'rm attributes').status).toBe(0)
    expect(guards(calls())).toBe(++expected)
  })

  it('(c) a state the last full guard did not see runs it: another config checked out, info/attributes, core.autocrlf, the global attributes file, no stamp', () => {
    const { repo, calls } = setup()
    let expected = 0
    const check = (what: string, ok = true): void => {
      const commit = commitReadme(repo)
      expect(commit.status === 0, `${what}: ${commit.stderr}`).toBe(ok)
      expect(guards(calls()), what).toBe(++expected)
      // and the next commit is quick again (when the full guard passed)
      if (ok) {
        expect(commitReadme(repo).status).toBe(0)
        expect(guards(calls()), `${what}, then`).toBe(expected)
      }
    }
    // A branch whose config differs: checking it out changes the index's config without staging it.
    repo.git('checkout', '-qb', 'other')
    const key = /key: (\S+)/.exec(repo.read('.gitseal.yaml').toString())![1]!
    repo.write('.gitseal.yaml', simpleConfig(['secrets/**', '*.secret', 'extra/**'], [{ name: 'alice', key }]))
    expect(repo.seal('sync').status).toBe(0)
    repo.git('add', '.gitseal.yaml', '.gitattributes')
    repo.git('commit', '-qm', 'other config')
    expected++
    repo.git('checkout', '-q', 'main')
    check('another config checked out')
    // Attributes from outside the index: the full guard refuses attributes that rewrite ciphertext.
    writeFileSync(join(repo.dir, '.git', 'info', 'attributes'), 'secrets/** text eol=crlf\n')
    check('.git/info/attributes', false)
    // Removed: the state is the one the full guard last passed with again, so its stamp holds.
    rmSync(join(repo.dir, '.git', 'info', 'attributes'))
    expect(commitReadme(repo).status).toBe(0)
    expect(guards(calls())).toBe(expected)
    mkdirSync(join(repo.home.dir, '.config', 'git'), { recursive: true })
    writeFileSync(join(repo.home.dir, '.config', 'git', 'attributes'), '*.md text\n')
    check('a global attributes file')
    repo.git('config', 'core.autocrlf', 'true')
    check('core.autocrlf')
    rmSync(stampFile(repo))
    check('no stamp')
    writeFileSync(stampFile(repo), readFileSync(stampFile(repo), 'utf8').replace(/v1 [0-9a-f]+/, 'v1 0000'))
    check('a stamp for another state')
    // install removes the stamp: a new version's guard may check more
    expect(repo.seal('install').status).toBe(0)
    expect(existsSync(stampFile(repo))).toBe(false)
  })

  it('the global attributes file counts for (a): a filter it sets runs the full guard', () => {
    const { repo, calls } = setup()
    mkdirSync(join(repo.home.dir, '.config', 'git'), { recursive: true })
    writeFileSync(join(repo.home.dir, '.config', 'git', 'attributes'), 'private/** filter=git-seal\n')
    expect(commitReadme(repo).status).toBe(0) // the full guard runs once for the new state
    const before = guards(calls())
    repo.stageRaw('private/p.txt', `${MARKER} private\n`)
    const commit = repo.tryGit('commit', '-qm', 'private')
    expect(commit.status).not.toBe(0)
    expect(commit.stderr).toContain('private/p.txt is staged in plaintext')
    expect(guards(calls())).toBe(before + 1)
  })

  it('a linked worktree shares the stamp and its quick path', () => {
    const { repo, calls } = setup()
    const wt = join(tempDir(), 'wt')
    repo.git('worktree', 'add', '-q', wt, '-b', 'wt')
    writeFileSync(join(wt, 'README.md'), 'from the worktree\n')
    expect(repo.run('git', ['add', 'README.md'], { cwd: wt }).status).toBe(0)
    const commit = repo.run('git', ['commit', '-qm', 'wt readme'], { cwd: wt })
    expect(commit.status, commit.stderr).toBe(0)
    expect(guards(calls())).toBe(0)
  })
})
