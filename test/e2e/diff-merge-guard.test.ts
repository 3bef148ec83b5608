// Readable diffs, merges of encrypted files, the pre-commit guard and verify, with real git.
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { GUARDED_HOOKS, HOOK_SHIM } from '../../src/git/hooks.js'
import { ROOT, Repo, isAgeFile, newHome, sealedRepo, tempDir } from '../helpers/repo.js'

function commitSecret(repo: Repo, path: string, content: string, message = 'edit'): void {
  repo.write(path, content)
  repo.git('add', path)
  repo.git('commit', '-qm', message)
}

/** Every object in the repository, as text, to search for plaintext markers. */
function allObjects(repo: Repo): string {
  return repo.git('cat-file', '--batch-all-objects', '--batch')
}

describe('readable diffs', () => {
  it('git diff, diff --cached, log -p and show print decrypted lines; no textconv notes ref', () => {
    const { repo } = sealedRepo()
    commitSecret(repo, 'secrets/app.txt', 'user=admin\npassword=old-pass\n', 'first')
    repo.write('secrets/app.txt', 'user=admin\npassword=new-pass\n')
    const diff = repo.git('diff')
    expect(diff).toContain('-password=old-pass')
    expect(diff).toContain('+password=new-pass')
    repo.git('add', 'secrets/app.txt')
    expect(repo.git('diff', '--cached')).toContain('+password=new-pass')
    repo.git('commit', '-qm', 'second')
    expect(repo.git('log', '-p')).toContain('-password=old-pass')
    expect(repo.git('show', 'HEAD')).toContain('+password=new-pass')
    expect(repo.git('for-each-ref', 'refs/notes')).toBe('')
    expect(repo.tryGit('config', 'diff.git-seal.cachetextconv').status).not.toBe(0)
  })

  it('without a key, diffs show a one-line placeholder naming the format', () => {
    const { repo, key } = sealedRepo()
    commitSecret(repo, 'secrets/app.txt', 'v=1\n', 'first')
    commitSecret(repo, 'secrets/app.txt', 'v=2\n', 'second')
    const home = newHome()
    const dir = join(tempDir(), 'clone')
    expect(spawnSync('git', ['clone', '-q', repo.dir, dir], { env: home.env }).status).toBe(0)
    const clone = new Repo(dir, home)
    expect(clone.seal('install').status).toBe(0)
    const log = clone.git('log', '-p', '-1')
    expect(log).toMatch(/\[git-seal: age file for X25519.*no key here to decrypt it\]/)
    expect(log).not.toContain('v=2')
    void key
  })
})

describe('merges', () => {
  const base = Array.from({ length: 10 }, (_, i) => `line ${i}`).join('\n') + '\n'

  it('edits of different lines merge automatically into ciphertext holding both', () => {
    const { repo } = sealedRepo()
    commitSecret(repo, 'secrets/config.txt', base, 'base')
    repo.git('checkout', '-qb', 'feature')
    commitSecret(repo, 'secrets/config.txt', base.replace('line 1\n', 'line 1 feature\n'), 'feature')
    repo.git('checkout', '-q', 'main')
    commitSecret(repo, 'secrets/config.txt', base.replace('line 8\n', 'line 8 main\n'), 'main')
    const merge = repo.tryGit('merge', '-q', '--no-edit', 'feature')
    expect(merge.status, merge.stderr).toBe(0)
    const merged = repo.read('secrets/config.txt').toString()
    expect(merged).toContain('line 1 feature')
    expect(merged).toContain('line 8 main')
    expect(isAgeFile(repo.blob('HEAD:secrets/config.txt'))).toBe(true)
    expect(repo.status()).toBe('')
    // Touched, the merged file is cleaned again: its blob comes back (the driver wipes its
    // plaintext after encrypting it; the MAC recorded for the result is of the plaintext, not of the wiped bytes).
    const later = new Date(Date.now() + 10_000)
    utimesSync(join(repo.dir, 'secrets/config.txt'), later, later)
    expect(repo.status()).toBe('')
    expect(allObjects(repo)).not.toContain('line 1 feature')
  })

  it('conflicting edits leave readable markers; the committed resolution is ciphertext', () => {
    const { repo } = sealedRepo()
    commitSecret(repo, 'secrets/config.txt', base, 'base')
    repo.git('checkout', '-qb', 'feature')
    commitSecret(repo, 'secrets/config.txt', base.replace('line 5\n', 'line 5 THEIRS\n'), 'feature')
    repo.git('checkout', '-q', 'main')
    commitSecret(repo, 'secrets/config.txt', base.replace('line 5\n', 'line 5 OURS\n'), 'main')
    const merge = repo.tryGit('merge', '--no-edit', 'feature')
    expect(merge.status).not.toBe(0)
    const conflicted = repo.read('secrets/config.txt').toString()
    expect(conflicted).toContain('<<<<<<< ours')
    expect(conflicted).toContain('line 5 OURS')
    expect(conflicted).toContain('line 5 THEIRS')
    expect(conflicted).toContain('>>>>>>> theirs')
    repo.write('secrets/config.txt', base.replace('line 5\n', 'line 5 RESOLVED\n'))
    repo.git('add', 'secrets/config.txt')
    repo.git('commit', '-qm', 'merged')
    expect(isAgeFile(repo.blob('HEAD:secrets/config.txt'))).toBe(true)
    expect(allObjects(repo)).not.toMatch(/line 5 (OURS|THEIRS|RESOLVED)/)
    expect(
      existsSync(join(repo.dir, '.git', 'git-seal')) &&
        readFileSync(join(repo.dir, '.git', 'git-seal', 'git-seal'), 'utf8').length > 0,
    ).toBe(true)
  })

  it('cherry-pick and rebase of secret edits go through the driver', () => {
    const { repo } = sealedRepo()
    commitSecret(repo, 'secrets/config.txt', base, 'base')
    repo.git('checkout', '-qb', 'topic')
    commitSecret(repo, 'secrets/config.txt', base.replace('line 2\n', 'line 2 topic\n'), 'topic')
    repo.git('checkout', '-q', 'main')
    commitSecret(repo, 'secrets/config.txt', base.replace('line 9\n', 'line 9 main\n'), 'main')
    repo.git('checkout', '-q', 'topic')
    const rebase = repo.tryGit('rebase', '-q', 'main')
    expect(rebase.status, rebase.stderr).toBe(0)
    const text = repo.read('secrets/config.txt').toString()
    expect(text).toContain('line 2 topic')
    expect(text).toContain('line 9 main')
    expect(isAgeFile(repo.blob('HEAD:secrets/config.txt'))).toBe(true)
    expect(allObjects(repo)).not.toContain('line 2 topic')
  })
})

describe('the guard', () => {
  it('refuses a plaintext blob staged behind the filter, naming the file; HEAD does not move', () => {
    const { repo } = sealedRepo()
    const head = repo.blobId('HEAD')
    repo.stageRaw('secrets/leak.txt', 'plaintext secret\n')
    const commit = repo.tryGit('commit', '-qm', 'leak')
    expect(commit.status).not.toBe(0)
    expect(commit.stderr).toContain('secrets/leak.txt is staged in plaintext')
    expect(repo.blobId('HEAD')).toBe(head)
  })

  it('lets a non-secret file commit and runs an existing hook after it', () => {
    const home = newHome()
    const repo = Repo.init(home)
    const hooks = join(repo.dir, '.git', 'hooks')
    mkdirSync(hooks, { recursive: true })
    writeFileSync(
      join(hooks, 'pre-commit'),
      '#!/bin/sh\necho existing-hook-ran >> "$(git rev-parse --git-dir)/hook.log"\n',
    )
    chmodSync(join(hooks, 'pre-commit'), 0o755)
    const init = repo.seal('init')
    expect(init.status, init.stderr).toBe(0)
    repo.write('README.md', 'hi\n')
    repo.git('add', '.')
    const commit = repo.tryGit('commit', '-qm', 'readme')
    expect(commit.status, commit.stderr).toBe(0)
    expect(readFileSync(join(repo.dir, '.git', 'hook.log'), 'utf8')).toBe('existing-hook-ran\n')
    expect(readFileSync(join(hooks, 'pre-commit'), 'utf8')).toBe(HOOK_SHIM)
    // uninstall puts the original hook back
    expect(repo.seal('uninstall').status).toBe(0)
    expect(readFileSync(join(hooks, 'pre-commit'), 'utf8')).toContain('existing-hook-ran')
  })

  it('checks the temporary index of git commit -a', () => {
    const { repo } = sealedRepo()
    commitSecret(repo, 'secrets/a.txt', 'one\n')
    // without the filter config, git stores files as they are: what a clone without git-seal does
    repo.git('config', '--remove-section', 'filter.git-seal')
    repo.write('secrets/a.txt', 'two in plaintext\n')
    const commit = repo.tryGit('commit', '-qam', 'bypass')
    expect(commit.status).not.toBe(0)
    expect(commit.stderr).toContain('secrets/a.txt is staged in plaintext')
  })

  it('works with husky: init adds the tracked line, install only checks it', () => {
    const home = newHome()
    const repo = Repo.init(home)
    mkdirSync(join(repo.dir, '.husky', '_'), { recursive: true })
    repo.git('config', 'core.hooksPath', '.husky/_')
    // husky's generated hook runs .husky/pre-commit
    writeFileSync(join(repo.dir, '.husky', '_', 'pre-commit'), '#!/bin/sh\nsh -e "$(dirname "$0")/../pre-commit"\n')
    chmodSync(join(repo.dir, '.husky', '_', 'pre-commit'), 0o755)
    expect(repo.seal('init').status).toBe(0)
    expect(readFileSync(join(repo.dir, '.husky', 'pre-commit'), 'utf8')).toContain('git-seal/git-seal"; [ -x "$g" ]')
    repo.git('add', '.')
    repo.git('commit', '-qm', 'setup')
    repo.stageRaw('secrets/x.txt', 'leak\n')
    const commit = repo.tryGit('commit', '-qm', 'leak')
    expect(commit.status).not.toBe(0)
    expect(commit.stderr).toContain('secrets/x.txt is staged in plaintext')
    // a second install leaves the tracked file alone
    const before = readFileSync(join(repo.dir, '.husky', 'pre-commit'), 'utf8')
    expect(repo.seal('install').status).toBe(0)
    expect(readFileSync(join(repo.dir, '.husky', 'pre-commit'), 'utf8')).toBe(before)
  })

  it('hooks kept in the repository (core.hooksPath): init adds the line, install never edits them', () => {
    const home = newHome()
    const repo = Repo.init(home)
    repo.git('config', 'core.hooksPath', '.githooks')
    expect(repo.seal('init').status).toBe(0)
    const hook = join(repo.dir, '.githooks', 'pre-commit')
    expect(readFileSync(hook, 'utf8')).toMatch(/^#!\/bin\/sh\n.*git-seal\/git-seal".*"\$g" guard\n$/s)
    repo.git('add', '.')
    repo.git('commit', '-qm', 'setup')
    repo.stageRaw('secrets/x.txt', 'leak\n')
    const commit = repo.tryGit('commit', '-qm', 'leak')
    expect(commit.status).not.toBe(0)
    expect(commit.stderr).toContain('secrets/x.txt is staged in plaintext')
    writeFileSync(hook, '#!/bin/sh\nexit 0\n')
    chmodSync(hook, 0o755)
    const install = repo.seal('install')
    expect(install.status).toBe(0)
    expect(install.stderr).toContain('does not run the git-seal guard')
    expect(readFileSync(hook, 'utf8')).toBe('#!/bin/sh\nexit 0\n')
  })

  it('the shipped shims equal the installed one', () => {
    for (const hook of GUARDED_HOOKS) expect(readFileSync(join(ROOT, 'hooks', hook), 'utf8'), hook).toBe(HOOK_SHIM)
  })
})

describe('verify', () => {
  it('fails on history holding a plaintext secret committed with --no-verify, passes on a clean one', () => {
    const { repo } = sealedRepo()
    commitSecret(repo, 'secrets/ok.txt', 'fine\n')
    expect(repo.seal('verify').status).toBe(0)
    expect(repo.seal('verify', '--all').status).toBe(0)
    repo.stageRaw('secrets/leak.txt', 'leaked\n')
    repo.git('commit', '-qm', 'leak', '--no-verify')
    repo.git('rm', '-q', '--cached', 'secrets/leak.txt')
    repo.git('commit', '-qm', 'remove the leak', '--no-verify')
    expect(repo.seal('verify').status).toBe(0) // HEAD itself is clean now
    const all = repo.seal('verify', '--all')
    expect(all.status).toBe(1)
    expect(all.stderr).toMatch(/commit [0-9a-f]{12}: secrets\/leak.txt holds a secret in plaintext/)
  })

  it('as a pre-receive hook on a bare repository, rejects a push adding plaintext and accepts a good one', () => {
    const { repo } = sealedRepo()
    commitSecret(repo, 'secrets/ok.txt', 'fine\n')
    const bare = join(tempDir(), 'server.git')
    repo.run('git', ['init', '-q', '--bare', bare])
    const hook = join(bare, 'hooks', 'pre-receive')
    writeFileSync(
      hook,
      `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'dist', 'git-seal.mjs')}" verify --pre-receive\n`,
    )
    chmodSync(hook, 0o755)
    const good = repo.tryGit('push', '-q', bare, 'main')
    expect(good.status, good.stderr).toBe(0)
    // a plaintext secret committed, then deleted: still in what the push adds
    repo.stageRaw('secrets/leak.txt', 'leaked\n')
    repo.git('commit', '-qm', 'leak', '--no-verify')
    repo.git('rm', '-q', '--cached', 'secrets/leak.txt')
    repo.git('commit', '-qm', 'gone', '--no-verify')
    const bad = repo.tryGit('push', bare, 'main')
    expect(bad.status).not.toBe(0)
    expect(bad.stderr).toContain('secrets/leak.txt holds a secret in plaintext')
    expect(repo.run('git', ['--git-dir', bare, 'rev-parse', 'main']).stdout.trim()).not.toBe(repo.blobId('HEAD'))
  })
})
