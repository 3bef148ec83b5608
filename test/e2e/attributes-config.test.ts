// The config and the attributes block: files git, sops and git-seal read in plaintext are never
// encrypted whatever a pattern says (`**` included), and a rule added for a file git already
// tracks leads, hint by hint, to that file committed encrypted.
import { utimesSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as rage from '../helpers/rage.js'
import { expectNoLeak, isAgeFile, newHome, newKey, Repo, sealedRepo, simpleConfig } from '../helpers/repo.js'

describe("a '**' pattern leaves the files git, sops and git-seal read alone", () => {
  const neverSecret = [
    '.gitignore',
    'sub/.gitignore',
    'sub/deeper/.gitattributes',
    '.gitmodules',
    '.mailmap',
    '.sops.yaml',
    'sub/.sops.yaml',
  ]
  const MARKER = 'never-secret-marker-1f2e'

  it('stores them as they are, encrypts everything else (nested .mailmap too), and guard, status and verify agree', async () => {
    const { repo, key } = sealedRepo(['**'])
    const content = (path: string): string => `# ${path}: ${path.endsWith('.gitignore') ? 'ignored.log' : 'x'}\n`
    for (const path of neverSecret) repo.write(path, content(path))
    repo.write('app.txt', `${MARKER}\n`)
    repo.write('sub/.mailmap', `${MARKER} mailmap below the top is an ordinary file\n`)
    repo.git('add', '-A')
    const commit = repo.tryGit('commit', '-qm', 'everything')
    expect(commit.status, commit.stderr).toBe(0)
    for (const path of [...neverSecret, '.gitseal.yaml', '.gitattributes']) {
      expect(isAgeFile(repo.blob(`HEAD:${path}`)), path).toBe(false)
      expect(repo.git('check-attr', 'filter', '--', path), path).toContain('filter: unspecified')
    }
    for (const path of neverSecret) expect(repo.blob(`HEAD:${path}`).toString()).toBe(content(path))
    for (const path of ['app.txt', 'sub/.mailmap']) {
      const blob = repo.blob(`HEAD:${path}`)
      expect(isAgeFile(blob), path).toBe(true)
      expect(Buffer.from(await rage.decrypt_with_x25519(key.identity, blob)).toString()).toContain(MARKER)
    }
    const status = repo.seal('status', '--json')
    expect(status.status, status.stdout).toBe(0)
    expect((JSON.parse(status.stdout) as { secrets: { path: string }[] }).secrets.map((s) => s.path)).toEqual([
      'app.txt',
      'sub/.mailmap',
    ])
    const verify = repo.seal('verify')
    expect(verify.status, verify.stderr).toBe(0)
    expectNoLeak(repo, MARKER)
  })

  it.each([
    ['.gitignore', 'in any directory'],
    ['config/.gitattributes', 'in any directory'],
    ['deploy/.sops.yaml', 'in any directory'],
    ['.gitmodules', 'at the top'],
    ['/.mailmap', 'at the top'],
    ['**/.gitseal.yaml', 'at the top'],
  ])("refuses a pattern naming only such files: '%s'", (pattern, where) => {
    const key = newKey()
    const repo = Repo.init(newHome())
    repo.write('.gitseal.yaml', simpleConfig([pattern], [{ name: 'alice', key: key.recipient }]))
    const sync = repo.seal('sync')
    expect(sync.status).not.toBe(0)
    expect(sync.stderr).toContain(`'${pattern}': ${pattern.slice(pattern.lastIndexOf('/') + 1)}`)
    expect(sync.stderr).toContain(`is never encrypted`)
    expect(sync.stderr).toContain(where)
  })
})

describe('a rule added for a file git already tracks: every hint leads to ciphertext in the commit', () => {
  const addRule = (repo: Repo, recipient: string): void => {
    repo.write('.gitseal.yaml', simpleConfig(['secrets/**', 'app.key'], [{ name: 'alice', key: recipient }]))
    repo.git('add', '.gitseal.yaml')
  }

  it('committed in plaintext before the rule: the guard refuses, git-seal sync re-stages it encrypted, the commit holds ciphertext', async () => {
    const { repo, key } = sealedRepo(['secrets/**'])
    repo.write('app.key', 'key-before-the-rule\n')
    repo.git('add', 'app.key')
    repo.git('commit', '-qm', 'an ordinary file, for now')
    addRule(repo, key.recipient)
    const refused = repo.tryGit('commit', '-qm', 'app.key is a secret now')
    expect(refused.status).not.toBe(0)
    expect(refused.stderr).toContain(
      "app.key becomes a secret in this commit's .gitseal.yaml but is still plaintext in the index",
    )
    expect(refused.stderr).toContain("run 'git-seal sync' and 'git add .gitattributes'")

    // The hints, literally.
    const sync = repo.seal('sync')
    expect(sync.status, sync.stderr).toBe(0)
    expect(sync.stderr).toContain(
      'encrypted in the index 1 tracked file(s) that .gitseal.yaml makes secrets (git add --renormalize): app.key',
    )
    expect(sync.stderr).toContain('committed in plaintext before, so readable in history: app.key')
    repo.git('add', '.gitattributes')
    const commit = repo.tryGit('commit', '-qm', 'app.key is a secret now')
    expect(commit.status, commit.stderr).toBe(0)
    const blob = repo.blob('HEAD:app.key')
    expect(isAgeFile(blob)).toBe(true)
    expect(Buffer.from(await rage.decrypt_with_x25519(key.identity, blob)).toString()).toBe('key-before-the-rule\n')
    expect(repo.read('app.key').toString()).toBe('key-before-the-rule\n')
    expect(repo.status()).toBe('')
    // From now on it is a secret like any other.
    repo.write('app.key', 'rotated-key-5d1c\n')
    repo.git('commit', '-qam', 'rotated')
    expect(isAgeFile(repo.blob('HEAD:app.key'))).toBe(true)
    expectNoLeak(repo, 'rotated-key-5d1c')
  })

  it('staged in plaintext before the rule: the guard names git add --renormalize, which works after sync', async () => {
    const { repo, key } = sealedRepo(['secrets/**'])
    repo.write('app.key', 'staged-before-the-rule\n')
    repo.git('add', 'app.key')
    addRule(repo, key.recipient)
    const refused = repo.tryGit('commit', '-qm', 'app.key')
    expect(refused.status).not.toBe(0)
    expect(refused.stderr).toContain('app.key is staged in plaintext')
    expect(refused.stderr).toContain('git add --renormalize -- app.key')
    expect(refused.stderr).toContain("run 'git-seal sync' and 'git add .gitattributes'")

    // In the order printed: sync, git add .gitattributes, git add --renormalize.
    const sync = repo.seal('sync')
    expect(sync.status, sync.stderr).toBe(0)
    expect(sync.stderr).toContain('stays in .git/objects as an unreferenced blob: app.key')
    repo.git('add', '.gitattributes')
    repo.git('add', '--renormalize', '--', 'app.key')
    const commit = repo.tryGit('commit', '-qm', 'app.key')
    expect(commit.status, commit.stderr).toBe(0)
    expect(Buffer.from(await rage.decrypt_with_x25519(key.identity, repo.blob('HEAD:app.key'))).toString()).toBe(
      'staged-before-the-rule\n',
    )
    repo.write('app.key', 'rotated-key-77aa\n')
    repo.git('commit', '-qam', 'rotated')
    expectNoLeak(repo, 'rotated-key-77aa')
  })

  it("the guard's hint works pasted into a shell, whatever the file name; plain git add would not", () => {
    const { repo } = sealedRepo(['secrets/**', '*.key'])
    const name = "my app's key $HOME.key"
    repo.write(name, 'odd-name-secret-4e1a\n')
    // Not racily clean: git trusts the stat data it records next.
    const past = new Date(Date.now() - 60_000)
    utimesSync(join(repo.dir, name), past, past)
    // Staged with no filter running (a clone without git-seal): git records the file as clean.
    repo.git('-c', 'filter.git-seal.process=', '-c', 'filter.git-seal.required=false', 'add', name)
    const refused = repo.tryGit('commit', '-qm', 'x')
    expect(refused.status).not.toBe(0)
    expect(refused.stderr).toContain(`${name} is staged in plaintext`)
    const command = /then '(git add --renormalize -- .*)' \(a secret/.exec(refused.stderr)?.[1]
    expect(command, refused.stderr).toBeDefined()
    repo.git('add', name)
    expect(isAgeFile(repo.blob(`:${name}`))).toBe(false)
    const run = repo.run('sh', ['-c', command!])
    expect(run.status, run.stderr).toBe(0)
    expect(isAgeFile(repo.blob(`:${name}`))).toBe(true)
    const commit = repo.tryGit('commit', '-qm', 'x')
    expect(commit.status, commit.stderr).toBe(0)
    // No leak scan: this scenario stores the plaintext on purpose before git-seal sees it.
  })

  it('with uncommitted edits in the file, sync leaves it and says how to stage it encrypted; that works', async () => {
    const { repo, key } = sealedRepo(['secrets/**'])
    repo.write('app.key', 'old\n')
    repo.git('add', 'app.key')
    repo.git('commit', '-qm', 'an ordinary file')
    repo.write('app.key', 'edited-not-staged-31c0\n')
    addRule(repo, key.recipient)
    const sync = repo.seal('sync')
    expect(sync.status).toBe(1)
    expect(sync.stderr).toContain('app.key is a secret still in plaintext in the index; not re-staged')
    expect(sync.stderr).toContain('git-seal: hint: stage it encrypted yourself: git add --renormalize -- app.key')
    expect(repo.blob(':app.key').toString()).toBe('old\n')
    repo.git('add', '.gitattributes')
    repo.git('add', '--renormalize', '--', 'app.key')
    const commit = repo.tryGit('commit', '-qm', 'app.key')
    expect(commit.status, commit.stderr).toBe(0)
    expect(Buffer.from(await rage.decrypt_with_x25519(key.identity, repo.blob('HEAD:app.key'))).toString()).toBe(
      'edited-not-staged-31c0\n',
    )
    expectNoLeak(repo, 'edited-not-staged-31c0')
  })

  it('without the filter installed, sync says the file is still plaintext and exits 1', () => {
    const { repo, key } = sealedRepo(['secrets/**'])
    repo.write('app.key', 'no-filter-here-0b9e\n')
    repo.git('add', 'app.key')
    repo.git('commit', '-qm', 'an ordinary file')
    repo.git('config', '--remove-section', 'filter.git-seal')
    addRule(repo, key.recipient)
    const sync = repo.seal('sync')
    expect(sync.status).toBe(1)
    expect(sync.stderr).toContain('app.key is a secret still in plaintext in the index')
    expect(sync.stderr).toContain(
      "run 'git-seal install' if this clone lacks the filter, then git add --renormalize -- app.key",
    )
    expect(sync.stderr).not.toContain('encrypted in the index')
    // No leak scan: the plaintext was committed on purpose, before the rule.
  })
})
