// A clone's life with git-seal, against real git: every commit-making command is guarded,
// work-tree links are never followed, install/unlock say what they really did, uninstall
// leaves no plaintext trap, rerere records no secret, the merge driver's plaintext temp dir
// goes away whatever kills it, and the escape hatch works when the installed filter is gone.
import { spawn, spawnSync } from 'node:child_process'
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { GUARDED_HOOKS, HOOK_SHIM } from '../../src/git/hooks.js'
import { hostileAgeFile } from '../helpers/age-files.js'
import {
  BUNDLE,
  ROOT,
  Repo,
  expectNoLeak,
  isAgeFile,
  newHome,
  newKey,
  sealedRepo,
  simpleConfig,
  tempDir,
  type Result,
} from '../helpers/repo.js'

const MARKER = 'LIFECYCLE-PLAINTEXT-5c1e'

function commitSecret(repo: Repo, path: string, content: string, message = `set ${path}`): void {
  repo.write(path, content)
  repo.git('add', path)
  repo.git('commit', '-qm', message)
}

/** Blobs reachable from `ref` that hold the marker (unreachable objects do not count: git am and merges write some). */
function reachableLeaks(repo: Repo, ref: string, marker: string): string[] {
  const objects = repo
    .git('rev-list', '--objects', ref)
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter(Boolean)
  const batch = spawnSync('git', ['cat-file', '--batch'], {
    cwd: repo.dir,
    env: repo.env,
    input: objects.join('\n') + '\n',
    maxBuffer: 1 << 30,
  }).stdout
  return batch.includes(marker) ? [ref] : []
}

/** Runs the bundle with a deadline: a command that follows a link to /dev/zero never returns. */
function sealWithin(repo: Repo, seconds: number, ...args: string[]): Result {
  const r = spawnSync(process.execPath, [BUNDLE, ...args], {
    cwd: repo.dir,
    env: repo.env,
    timeout: seconds * 1000,
    maxBuffer: 1 << 30,
  })
  if (r.error || r.signal)
    throw new Error(`git-seal ${args.join(' ')} did not finish within ${seconds}s (${r.error?.message ?? r.signal})`)
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() }
}

function gitWithin(repo: Repo, seconds: number, ...args: string[]): Result {
  const r = spawnSync('git', args, { cwd: repo.dir, env: repo.env, timeout: seconds * 1000, maxBuffer: 1 << 30 })
  if (r.error || r.signal) throw new Error(`git ${args.join(' ')} did not finish within ${seconds}s`)
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() }
}

/** The entries of git-seal's state dir that hold merge plaintext (current and legacy names). */
function tempDirsIn(repo: Repo): string[] {
  const state = join(repo.dir, '.git', 'git-seal')
  return existsSync(state) ? readdirSync(state).filter((n) => n.startsWith('private-') || n.startsWith('merge-')) : []
}

describe('every commit-making command is guarded', () => {
  it('git merge --no-ff of a branch holding a plaintext secret is refused by pre-merge-commit', () => {
    const { repo } = sealedRepo()
    commitSecret(repo, 'secrets/a.txt', 'base\n')
    repo.git('checkout', '-qb', 'leak')
    // what a clone without git-seal commits
    repo.stageRaw('secrets/leak.txt', `${MARKER}\n`)
    repo.git('commit', '-qm', 'leak', '--no-verify')
    repo.git('checkout', '-q', 'main')
    commitSecret(repo, 'README.md', 'main moves on\n')
    const head = repo.blobId('HEAD')
    const merge = repo.tryGit('merge', '--no-ff', '--no-edit', 'leak')
    expect(merge.status).not.toBe(0)
    expect(merge.stderr).toContain('secrets/leak.txt is staged in plaintext')
    expect(repo.blobId('HEAD')).toBe(head)
    // the fix the hint gives: add the file again (clean encrypts it), then commit the merge
    repo.git('add', 'secrets/leak.txt')
    const commit = repo.tryGit('commit', '--no-edit', '-q')
    expect(commit.status, commit.stderr).toBe(0)
    expect(isAgeFile(repo.blob('HEAD:secrets/leak.txt'))).toBe(true)
    expect(repo.git('rev-parse', 'HEAD^2').trim()).toBe(repo.blobId('leak'))
  })

  it('git am of a patch adding a plaintext secret is refused by pre-applypatch', () => {
    const { repo } = sealedRepo()
    const plain = Repo.init(newHome())
    plain.write('secrets/am.txt', `${MARKER}\n`)
    plain.git('add', '.')
    plain.git('commit', '-qm', 'add a secret without git-seal')
    const patch = plain.git('format-patch', '-1', '--stdout')
    const head = repo.blobId('HEAD')
    const am = repo.run('git', ['am'], { input: patch })
    expect(am.status).not.toBe(0)
    expect(am.stderr).toContain('secrets/am.txt is staged in plaintext')
    expect(repo.blobId('HEAD')).toBe(head)
    // the fix the hint gives: add the file again (clean encrypts it); the hook runs again on --continue
    repo.git('add', 'secrets/am.txt')
    const resumed = repo.tryGit('am', '--continue')
    expect(resumed.status, resumed.stderr).toBe(0)
    expect(isAgeFile(repo.blob('HEAD:secrets/am.txt'))).toBe(true)
    expect(reachableLeaks(repo, '--all', MARKER)).toEqual([])
  })

  it('install writes one shim for the three hooks, chains existing ones, and uninstall puts them back', () => {
    const home = newHome()
    const repo = Repo.init(home)
    const hooks = join(repo.dir, '.git', 'hooks')
    mkdirSync(hooks, { recursive: true })
    writeFileSync(
      join(hooks, 'pre-merge-commit'),
      '#!/bin/sh\necho mine-ran >> "$(git rev-parse --git-dir)/hook.log"\n',
      { mode: 0o755 },
    )
    chmodSync(join(hooks, 'pre-merge-commit'), 0o755)
    expect(repo.seal('init').status).toBe(0)
    for (const hook of GUARDED_HOOKS) expect(readFileSync(join(hooks, hook), 'utf8'), hook).toBe(HOOK_SHIM)
    expect(readFileSync(join(hooks, 'pre-merge-commit.before-git-seal'), 'utf8')).toContain('mine-ran')
    repo.write('README.md', 'x\n')
    repo.git('add', '.')
    repo.git('commit', '-qm', 'one')
    repo.git('checkout', '-qb', 'side')
    commitSecret(repo, 'side.txt', 'side\n')
    repo.git('checkout', '-q', 'main')
    commitSecret(repo, 'main.txt', 'main\n')
    const merge = repo.tryGit('merge', '--no-ff', '--no-edit', 'side')
    expect(merge.status, merge.stderr).toBe(0)
    expect(readFileSync(join(repo.dir, '.git', 'hook.log'), 'utf8')).toBe('mine-ran\n')
    expect(repo.seal('uninstall').status).toBe(0)
    expect(readFileSync(join(hooks, 'pre-merge-commit'), 'utf8')).toContain('mine-ran')
    expect(existsSync(join(hooks, 'pre-commit'))).toBe(false)
    expect(existsSync(join(hooks, 'pre-applypatch'))).toBe(false)
  })

  it('with husky (the real husky setup), init adds the guard to .husky/pre-merge-commit and a merge is refused', () => {
    const home = newHome()
    const repo = Repo.init(home)
    const husky = repo.run(process.execPath, [
      '--input-type=module',
      '-e',
      `import h from ${JSON.stringify(join(ROOT, 'node_modules', 'husky', 'index.js'))}; const r = h(); if (r) { console.error(r); process.exit(1) }`,
    ])
    expect(husky.status, husky.stderr).toBe(0)
    expect(repo.git('config', 'core.hooksPath').trim()).toBe('.husky/_')
    const init = repo.seal('init')
    expect(init.status, init.stderr).toBe(0)
    for (const hook of GUARDED_HOOKS)
      expect(readFileSync(join(repo.dir, '.husky', hook), 'utf8'), hook).toContain('"$g" guard')
    repo.git('add', '.')
    repo.git('commit', '-qm', 'setup')
    repo.git('checkout', '-qb', 'leak')
    repo.stageRaw('secrets/h.txt', `${MARKER}\n`)
    repo.git('commit', '-qm', 'leak', '--no-verify')
    repo.git('checkout', '-q', 'main')
    const merge = repo.tryGit('merge', '--no-ff', '--no-edit', 'leak')
    expect(merge.status).not.toBe(0)
    expect(merge.stderr).toContain('secrets/h.txt is staged in plaintext')
    expect(reachableLeaks(repo, 'main', MARKER)).toEqual([])
  })

  it('a tracked core.hooksPath gets the line in all three hooks from init; install never edits them', () => {
    const repo = Repo.init(newHome())
    repo.git('config', 'core.hooksPath', '.githooks')
    expect(repo.seal('init').status).toBe(0)
    for (const hook of GUARDED_HOOKS)
      expect(readFileSync(join(repo.dir, '.githooks', hook), 'utf8'), hook).toContain('"$g" guard')
    writeFileSync(join(repo.dir, '.githooks', 'pre-applypatch'), '#!/bin/sh\nexit 0\n')
    const install = repo.seal('install')
    expect(install.status).toBe(0)
    expect(install.stderr).toContain('its pre-applypatch hook does not run the git-seal guard')
    expect(readFileSync(join(repo.dir, '.githooks', 'pre-applypatch'), 'utf8')).toBe('#!/bin/sh\nexit 0\n')
  })

  it('a core.hooksPath shared with other repositories is never written to', () => {
    const repo = Repo.init(newHome())
    const shared = tempDir('git-seal-shared-hooks-')
    repo.git('config', 'core.hooksPath', shared)
    repo.write('.gitseal.yaml', simpleConfig(['secrets/**'], [{ name: 'a', key: newKey().recipient }]))
    const install = repo.seal('install')
    expect(install.status, install.stderr).toBe(0)
    expect(install.stderr).toContain('hooks other repositories share')
    expect(readdirSync(shared)).toEqual([])
  })
})

describe('symbolic links at secret paths are never followed', () => {
  function repoWithStoredSecret(): { repo: Repo; stored: Buffer } {
    const { repo } = sealedRepo()
    commitSecret(repo, 'secrets/a.txt', `${MARKER}\n`)
    commitSecret(repo, 'secrets/b.txt', 'b\n')
    return { repo, stored: repo.blob('HEAD:secrets/a.txt') }
  }

  it('a link to /dev/zero: install, unlock, lock, uninstall and status all finish, and leave it a link', () => {
    const { repo } = repoWithStoredSecret()
    rmSync(join(repo.dir, 'secrets', 'a.txt'))
    symlinkSync('/dev/zero', join(repo.dir, 'secrets', 'a.txt'))
    expect(sealWithin(repo, 30, 'install').status).toBe(0)
    expect(sealWithin(repo, 30, 'unlock').status).toBe(0)
    expect(sealWithin(repo, 30, 'status').status).not.toBeNull()
    expect(gitWithin(repo, 30, 'status', '--porcelain').stdout).toContain('secrets/a.txt')
    const lock = sealWithin(repo, 30, 'lock')
    expect(lock.status).not.toBe(0) // the link is a change git does not have
    expect(lock.stderr).toContain('secrets/a.txt')
    const uninstall = sealWithin(repo, 30, 'uninstall')
    expect(uninstall.status).not.toBe(0)
    expect(uninstall.stderr).toContain('secrets/a.txt')
    expect(lstatSync(join(repo.dir, 'secrets', 'a.txt')).isSymbolicLink()).toBe(true)
    expect(sealWithin(repo, 30, 'uninstall', '--keep-plaintext').status).toBe(0)
    expect(lstatSync(join(repo.dir, 'secrets', 'a.txt')).isSymbolicLink()).toBe(true)
    expectNoLeak(repo, MARKER)
  })

  it('a tracked hook that links to /dev/zero does not hang install', () => {
    const { repo } = sealedRepo()
    repo.git('config', 'core.hooksPath', '.githooks')
    mkdirSync(join(repo.dir, '.githooks'))
    symlinkSync('/dev/zero', join(repo.dir, '.githooks', 'pre-commit'))
    const install = sealWithin(repo, 30, 'install')
    expect(install.status).toBe(0)
    expect(install.stderr).toContain('do not run the git-seal guard')
  })

  it('a link to a file outside the repository holding the stored bytes is neither read as them nor replaced', () => {
    const { repo, stored } = repoWithStoredSecret()
    expect(repo.seal('lock').status).toBe(0)
    const outside = join(tempDir(), 'outside.age')
    writeFileSync(outside, stored)
    rmSync(join(repo.dir, 'secrets', 'a.txt'))
    symlinkSync(outside, join(repo.dir, 'secrets', 'a.txt'))
    const unlock = sealWithin(repo, 30, 'unlock')
    expect(unlock.stderr).not.toContain('decrypted 2')
    expect(lstatSync(join(repo.dir, 'secrets', 'a.txt')).isSymbolicLink()).toBe(true)
    expect(readFileSync(outside).equals(stored)).toBe(true)
    expect(repo.read('secrets/b.txt').toString()).toBe('b\n')
    expectNoLeak(repo, MARKER)
  })

  it('a linked directory on the way to a secret: nothing is removed or written through it', () => {
    const { repo, stored } = repoWithStoredSecret()
    expect(repo.seal('lock').status).toBe(0)
    const outside = tempDir()
    writeFileSync(join(outside, 'a.txt'), stored)
    writeFileSync(join(outside, 'b.txt'), repo.blob('HEAD:secrets/b.txt'))
    rmSync(join(repo.dir, 'secrets'), { recursive: true })
    symlinkSync(outside, join(repo.dir, 'secrets'))
    expect(sealWithin(repo, 30, 'unlock').status).toBe(0)
    expect(sealWithin(repo, 30, 'lock', '--force').status).toBe(0)
    expect(sealWithin(repo, 30, 'install').status).toBe(0)
    expect(readFileSync(join(outside, 'a.txt')).equals(stored)).toBe(true)
    expect(readFileSync(join(outside, 'b.txt')).equals(repo.blob('HEAD:secrets/b.txt'))).toBe(true)
    expect(readdirSync(outside).sort()).toEqual(['a.txt', 'b.txt'])
    expectNoLeak(repo, MARKER)
  })
})

describe('uninstall leaves no trap', () => {
  it('puts ciphertext back first: afterwards a touch, git stash and commit -a store no plaintext', () => {
    const { repo } = sealedRepo()
    commitSecret(repo, 'secrets/a.txt', `${MARKER}\n`)
    const blob = repo.blobId('HEAD:secrets/a.txt')
    const uninstall = repo.seal('uninstall')
    expect(uninstall.status, uninstall.stderr).toBe(0)
    expect(uninstall.stderr).toContain('1 secret file(s) hold ciphertext')
    expect(isAgeFile(repo.read('secrets/a.txt'))).toBe(true)
    expect(repo.tryGit('config', '--get-regexp', 'git-seal').stdout).toBe('')
    expect(existsSync(join(repo.dir, '.git', 'git-seal'))).toBe(false)
    const later = new Date(Date.now() + 60_000)
    utimesSync(join(repo.dir, 'secrets', 'a.txt'), later, later)
    expect(repo.status()).toBe('')
    repo.tryGit('stash')
    repo.tryGit('commit', '-qam', 'after uninstall')
    expect(repo.blobId('HEAD:secrets/a.txt')).toBe(blob)
    expectNoLeak(repo, MARKER)
  })

  it('refuses when a secret has changes git does not have yet (edited or new), naming them, and changes nothing', () => {
    const { repo } = sealedRepo()
    commitSecret(repo, 'secrets/a.txt', 'committed\n')
    repo.write('secrets/a.txt', `${MARKER} edited\n`)
    repo.write('secrets/new.txt', `${MARKER} new\n`)
    const uninstall = repo.seal('uninstall')
    expect(uninstall.status).not.toBe(0)
    expect(uninstall.stderr).toContain('secrets/a.txt')
    expect(uninstall.stderr).toContain('secrets/new.txt')
    expect(uninstall.stderr).toContain('--keep-plaintext')
    expect(repo.git('config', 'filter.git-seal.required').trim()).toBe('true')
    expect(repo.read('secrets/a.txt').toString()).toBe(`${MARKER} edited\n`)
    // the way out it suggests: stash them (encrypted, the filter is still there), then uninstall
    repo.git('stash', '-u', '-q')
    expect(repo.seal('uninstall').status).toBe(0)
    expectNoLeak(repo, MARKER)
  })

  it('--keep-plaintext leaves decrypted files, and says what that means', () => {
    const { repo } = sealedRepo()
    commitSecret(repo, 'secrets/a.txt', 'kept\n')
    repo.write('secrets/a.txt', 'kept and edited\n')
    const uninstall = repo.seal('uninstall', '--keep-plaintext')
    expect(uninstall.status).toBe(0)
    expect(uninstall.stderr).toContain('store them in plaintext')
    expect(repo.read('secrets/a.txt').toString()).toBe('kept and edited\n')
    expect(repo.tryGit('config', 'filter.git-seal.process').status).not.toBe(0)
  })

  it('works when the installed copy is gone', () => {
    const { repo } = sealedRepo()
    commitSecret(repo, 'secrets/a.txt', `${MARKER}\n`)
    rmSync(join(repo.dir, '.git', 'git-seal', 'dist'), { recursive: true })
    const uninstall = repo.seal('uninstall')
    expect(uninstall.status, uninstall.stderr).toBe(0)
    expect(isAgeFile(repo.read('secrets/a.txt'))).toBe(true)
    expect(repo.status()).toBe('')
    expectNoLeak(repo, MARKER)
  })
})

describe('install and unlock say what they really did', () => {
  function twoGroups(): { repo: Repo } {
    const alice = newKey()
    const bob = newKey()
    const home = newHome()
    home.installKey(alice)
    const repo = Repo.init(home)
    repo.write(
      '.gitseal.yaml',
      [
        'version: 1',
        'groups:',
        '  dev:',
        '    recipients:',
        '      admins:',
        `        - { name: alice, key: ${alice.recipient} }`,
        '    secrets:',
        '      dev: { path: dev/** }',
        '  prod:',
        '    recipients:',
        '      admins:',
        `        - { name: bob, key: ${bob.recipient} }`,
        '    secrets:',
        '      prod: { path: prod/** }',
        '',
      ].join('\n'),
    )
    expect(repo.seal('sync').status).toBe(0)
    expect(repo.seal('install').status).toBe(0)
    repo.write('dev/a.txt', `${MARKER} dev\n`)
    repo.write('prod/b.txt', `${MARKER} prod\n`)
    repo.git('add', '.')
    repo.git('commit', '-qm', 'two groups')
    return { repo }
  }

  it('a file not for my key is counted as not encrypted to me (one line), and not counted as decrypted', () => {
    const { repo } = twoGroups()
    expect(repo.seal('lock').status).toBe(0)
    const unlock = repo.seal('unlock')
    expect(unlock.status, unlock.stderr).toBe(0) // dev decrypted; prod is simply not mine
    expect(unlock.stderr).toContain('decrypted 1 secret file(s)')
    expect(unlock.stderr).toContain('1 secret is not encrypted to you; they stay encrypted')
    expect(repo.read('dev/a.txt').toString()).toBe(`${MARKER} dev\n`)
    expect(isAgeFile(repo.read('prod/b.txt'))).toBe(true)
    const install = repo.seal('install')
    expect(install.status).toBe(0)
    expect(install.stderr).not.toContain('decrypted')
    expect(install.stderr).toContain('1 secret is not encrypted to you')
    // nothing left for my key: unlock decrypted nothing it could, and says so with exit 1
    expect(repo.seal('unlock').status).toBe(1)
    expectNoLeak(repo, MARKER)
  })

  it('no key: install succeeds without claiming anything; unlock fails, also with a broken key file or key command', () => {
    const { repo } = sealedRepo()
    commitSecret(repo, 'secrets/a.txt', `${MARKER}\n`)
    expect(repo.seal('lock').status).toBe(0)
    const keyFile = join(repo.home.dir, '.config', 'sops', 'age', 'keys.txt')
    const keyText = readFileSync(keyFile)
    rmSync(keyFile)
    const install = repo.seal('install')
    expect(install.status).toBe(0)
    expect(install.stderr).not.toMatch(/decrypted \d/)
    expect(install.stderr).toContain('1 secret file(s) stay encrypted')
    const unlock = repo.seal('unlock')
    expect(unlock.status).toBe(1)
    expect(unlock.stderr).toContain('secrets/a.txt: left encrypted: no age identity found')
    expect(isAgeFile(repo.read('secrets/a.txt'))).toBe(true)
    for (const env of [{ SOPS_AGE_KEY_FILE: join(repo.home.dir, 'missing.txt') }, { SOPS_AGE_KEY_CMD: 'exit 3' }]) {
      const r = repo.run(process.execPath, [BUNDLE, 'unlock'], { env: { ...repo.env, ...env } })
      expect(r.status, JSON.stringify(env)).toBe(1)
      expect(r.stderr).toMatch(/cannot be read|SOPS_AGE_KEY_CMD failed/)
    }
    writeFileSync(keyFile, keyText, { mode: 0o600 })
    const again = repo.seal('unlock')
    expect(again.status, again.stderr).toBe(0)
    expect(again.stderr).toContain('decrypted 1 secret file(s)')
    expectNoLeak(repo, MARKER)
  })

  it('a damaged blob is named as damaged and unlock fails', () => {
    const { repo } = sealedRepo()
    commitSecret(repo, 'secrets/a.txt', `${MARKER}\n`)
    const damaged = Buffer.from(repo.blob('HEAD:secrets/a.txt'))
    damaged[damaged.length - 5]! ^= 1
    repo.stageRaw('secrets/a.txt', damaged)
    repo.git('commit', '-qm', 'damaged', '--no-verify')
    expect(repo.seal('lock', '--force').status).toBe(0)
    const unlock = repo.seal('unlock')
    expect(unlock.status).toBe(1)
    expect(unlock.stderr).toContain('secrets/a.txt: left encrypted: damaged ciphertext')
  })
})

describe('rerere keeps no secret', () => {
  it('a conflicted secret merged, resolved and committed with rerere.enabled leaves no plaintext in .git/rr-cache; other files are still recorded', () => {
    const { repo } = sealedRepo()
    repo.git('config', 'rerere.enabled', 'true')
    const base = Array.from({ length: 6 }, (_, i) => `line ${i}`).join('\n') + '\n'
    commitSecret(repo, 'secrets/c.txt', base)
    commitSecret(repo, 'notes.txt', base)
    repo.git('checkout', '-qb', 'feature')
    repo.write('secrets/c.txt', base.replace('line 3', `${MARKER} THEIRS`))
    repo.write('notes.txt', base.replace('line 3', 'notes theirs'))
    repo.git('commit', '-qam', 'feature')
    repo.git('checkout', '-q', 'main')
    repo.write('secrets/c.txt', base.replace('line 3', `${MARKER} OURS`))
    repo.write('notes.txt', base.replace('line 3', 'notes ours'))
    repo.git('commit', '-qam', 'main')
    expect(repo.tryGit('merge', '--no-edit', 'feature').status).not.toBe(0)
    const conflicted = repo.read('secrets/c.txt').toString()
    expect(conflicted).toMatch(/^<{8} ours$/m) // readable markers, one longer than git's
    expect(conflicted).toContain(`${MARKER} THEIRS`)
    repo.write('secrets/c.txt', base.replace('line 3', `${MARKER} RESOLVED`))
    repo.write('notes.txt', base.replace('line 3', 'notes resolved'))
    repo.git('add', '.')
    repo.git('commit', '-qm', 'merged')
    const rrCache = join(repo.dir, '.git', 'rr-cache')
    const recorded = readdirSync(rrCache).map((id) =>
      readdirSync(join(rrCache, id))
        .map((f) => readFileSync(join(rrCache, id, f), 'utf8'))
        .join(''),
    )
    expect(recorded.join('')).toContain('notes resolved') // rerere still works for other files
    expectNoLeak(repo, MARKER)
  })
})

describe("the merge driver's plaintext temp dir", () => {
  /**
   * A `git` that pauses in `merge-file` (after writing the driver's pid), then runs the real one.
   * git puts its exec path first on its children's PATH, so the driver finds it only through
   * GIT_EXEC_PATH; the wrapper gives the real git its own back.
   */
  function slowMergeFile(repo: Repo): { env: NodeJS.ProcessEnv; pidFile: string } {
    const bin = tempDir('git-seal-bin-')
    const realGit = spawnSync('sh', ['-c', 'command -v git']).stdout.toString().trim()
    const execPath = spawnSync('git', ['--exec-path']).stdout.toString().trim()
    const pidFile = join(bin, 'driver.pid')
    writeFileSync(
      join(bin, 'git'),
      `#!/bin/sh\nexport GIT_EXEC_PATH='${execPath}'\nif [ "$1" = merge-file ]; then echo $PPID > ${pidFile}.tmp; mv ${pidFile}.tmp ${pidFile}; sleep 3; fi\nexec ${realGit} "$@"\n`,
      { mode: 0o755 },
    )
    chmodSync(join(bin, 'git'), 0o755)
    return { env: { ...repo.env, GIT_EXEC_PATH: bin }, pidFile }
  }

  async function mergeAndKill(repo: Repo, signal: NodeJS.Signals): Promise<void> {
    const base = 'a\nb\nc\n'
    commitSecret(repo, 'secrets/m.txt', base)
    repo.git('checkout', '-qb', 'other')
    commitSecret(repo, 'secrets/m.txt', base.replace('a', `${MARKER} theirs`))
    repo.git('checkout', '-q', 'main')
    commitSecret(repo, 'secrets/m.txt', base.replace('c', `${MARKER} ours`))
    const { env, pidFile } = slowMergeFile(repo)
    const merge = spawn('git', ['merge', '--no-edit', 'other'], { cwd: repo.dir, env, stdio: 'ignore' })
    const done = new Promise((resolve) => merge.on('exit', resolve))
    for (let i = 0; i < 200 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50))
    const pid = Number(readFileSync(pidFile, 'utf8'))
    expect(tempDirsIn(repo)).toHaveLength(1) // the plaintext is on disk right now
    process.kill(pid, signal)
    await done
    // the driver is gone; git reports the path as not merged
    repo.tryGit('merge', '--abort')
  }

  it('SIGTERM: the driver removes its directory before it dies', async () => {
    const { repo } = sealedRepo()
    await mergeAndKill(repo, 'SIGTERM')
    expect(tempDirsIn(repo)).toEqual([])
    expectNoLeak(repo, MARKER)
  })

  it('SIGKILL: the directory stays, and the next git-seal run removes it once its owner is gone', async () => {
    const { repo } = sealedRepo()
    await mergeAndKill(repo, 'SIGKILL')
    expect(tempDirsIn(repo)).toHaveLength(1)
    expect(repo.seal('install').status).toBe(0)
    expect(tempDirsIn(repo)).toEqual([])
    expectNoLeak(repo, MARKER)
  })
})

describe('the escape hatch: git -c filter.git-seal.required=false', () => {
  function branches(): Repo {
    const { repo } = sealedRepo()
    commitSecret(repo, 'secrets/a.txt', 'one\n')
    repo.git('checkout', '-qb', 'b2')
    commitSecret(repo, 'secrets/a.txt', 'two\n')
    repo.git('checkout', '-q', 'main')
    // Checked out a while ago, as in real life: git trusts stat data and needs no filter to
    // know the file is unchanged (files as new as the index are re-read: "racily clean").
    const past = new Date(Date.now() - 60_000)
    utimesSync(join(repo.dir, 'secrets', 'a.txt'), past, past)
    repo.git('update-index', '--refresh')
    return repo
  }

  function expectHatchWorks(repo: Repo): void {
    const hatch = (...args: string[]): Result => repo.tryGit('-c', 'filter.git-seal.required=false', ...args)
    for (const args of [
      ['checkout', '-q', 'b2'],
      ['switch', '-q', 'main'],
      ['reset', '-q', '--hard', 'b2'],
      ['status', '--short'],
      ['diff', 'main', 'b2'],
      ['diff'],
      ['reset', '-q', '--hard', 'main'],
    ]) {
      const r = hatch(...args)
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0)
    }
    expect(repo.blobId('HEAD')).toBe(repo.blobId('main'))
  }

  it('works for checkout, switch, reset, status and diff when .git/git-seal is gone; without it git fails and says why', () => {
    const repo = branches()
    rmSync(join(repo.dir, '.git', 'git-seal'), { recursive: true })
    const plain = repo.tryGit('checkout', '-q', 'b2')
    expect(plain.status).not.toBe(0)
    expect(plain.stderr).toContain('git-seal/git-seal is missing')
    expect(plain.stderr).toContain('never use it with add, commit -a or stash')
    expectHatchWorks(repo)
  })

  it('works when the launcher is there but its bundle is not', () => {
    const repo = branches()
    rmSync(join(repo.dir, '.git', 'git-seal', 'dist'), { recursive: true })
    expectHatchWorks(repo)
  })

  it('git add still fails without the hatch: nothing is staged', () => {
    const { repo } = sealedRepo()
    rmSync(join(repo.dir, '.git', 'git-seal'), { recursive: true })
    repo.write('secrets/new.txt', `${MARKER}\n`)
    expect(repo.tryGit('add', 'secrets/new.txt').status).not.toBe(0)
    expect(repo.git('ls-files', 'secrets/new.txt')).toBe('')
    expectNoLeak(repo, MARKER)
  })

  it("the threat model's ciphertext archive recipe works as written", () => {
    const { repo } = sealedRepo()
    commitSecret(repo, 'secrets/a.txt', `${MARKER}\n`)
    const tar = join(tempDir(), 'out.tar')
    const r = repo.run('sh', [
      '-c',
      `git -c filter.git-seal.process= -c filter.git-seal.smudge= -c filter.git-seal.required=false archive -o ${tar} HEAD`,
    ])
    expect(r.status, r.stderr).toBe(0)
    const member = spawnSync('tar', ['-xOf', tar, 'secrets/a.txt']).stdout
    expect(isAgeFile(member)).toBe(true)
    expect(member.equals(repo.blob('HEAD:secrets/a.txt'))).toBe(true)
    expectNoLeak(repo, MARKER)
  })
})

describe('hostile blobs cost bounded work', () => {
  // 40,000 stanzas (3.9 MB) keep the blob under smudge's 4 MiB whole-file size; the age-layer
  // test covers 50,000.
  it('an age header with 40,000 stanzas: checkout keeps it as stored naming the file, diff and unlock finish', () => {
    const { repo, key } = sealedRepo()
    commitSecret(repo, 'secrets/h.txt', 'before\n')
    const hostile = hostileAgeFile(40_000, key.identity)
    repo.stageRaw('secrets/h.txt', hostile)
    repo.git('commit', '-qm', 'hostile', '--no-verify')
    rmSync(join(repo.dir, 'secrets', 'h.txt'))
    const checkout = gitWithin(repo, 30, 'checkout', '--', 'secrets/h.txt')
    expect(checkout.status, checkout.stderr).toBe(0)
    expect(checkout.stderr).toContain('secrets/h.txt: ')
    expect(checkout.stderr).toContain('header has 40000 recipient stanzas, more than the 256')
    expect(repo.read('secrets/h.txt').equals(hostile)).toBe(true)
    const diff = gitWithin(repo, 30, 'diff', 'HEAD~1', 'HEAD')
    expect(diff.status).toBe(0)
    expect(diff.stdout).toContain('header has 40000 recipient stanzas')
    const unlock = sealWithin(repo, 30, 'unlock')
    expect(unlock.stderr).not.toContain('decrypted')
  })
})

describe('add-recipient', () => {
  it('--group with an unknown group refuses, listing the groups, and leaves the config as it was', () => {
    const { repo } = sealedRepo()
    const before = repo.read('.gitseal.yaml').toString()
    const add = repo.seal('add-recipient', 'bob', newKey().recipient, '--group', 'prdo', '--admin')
    expect(add.status).toBe(1)
    expect(add.stderr).toContain('.gitseal.yaml has no group named "prdo"')
    expect(add.stderr).toContain('pick one of its groups (dev)')
    expect(repo.read('.gitseal.yaml').toString()).toBe(before)
  })
})
