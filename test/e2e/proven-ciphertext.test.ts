// "Already ciphertext" must be proven, not guessed (issue 12, items 1, 2, 7, 13, 15, 17): what a
// locked or keyless clone, a hostile or a clumsy user can put at a secret path, with real git,
// each scenario ending with a scan of every object and of .git/ for the marker plaintext.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { decrypt, encrypt, parseIdentity, parseRecipient } from '../../src/age/index.js'
import {
  ROOT,
  Repo,
  expectNoLeak,
  isAgeFile,
  newHome,
  newKey,
  sealedRepo,
  simpleConfig,
  tempDir,
  type Key,
} from '../helpers/repo.js'

const MARKER = 'PROVEN-MARKER-5c1e'

function clone(repo: Repo, key: Key | null): Repo {
  const home = newHome()
  if (key) home.installKey(key)
  const dir = join(tempDir(), 'clone')
  expect(spawnSync('git', ['clone', '-q', repo.dir, dir], { env: home.env }).status).toBe(0)
  const c = new Repo(dir, home)
  expect(c.seal('install').status).toBe(0)
  return c
}

function commit(repo: Repo, path: string, content: string | Buffer): void {
  repo.write(path, content)
  repo.git('add', '--', path)
  repo.git('commit', '-qm', `edit ${path}`)
}

const opens = (key: Key, blob: Uint8Array): Buffer => Buffer.from(decrypt(blob, [parseIdentity(key.identity)]))

describe('input that only looks like ciphertext is never stored as it is', () => {
  for (const where of ['a locked clone', 'a keyless clone'] as const) {
    it(`${where}: plaintext appended to an age file is encrypted whole, warned about, refused by the guard, flagged by status`, () => {
      const { repo, key } = sealedRepo()
      commit(repo, 'secrets/app.txt', 'token=old\n')
      let work = repo
      if (where === 'a locked clone') expect(repo.seal('lock').status).toBe(0)
      else work = clone(repo, null)
      const stored = work.read('secrets/app.txt')
      expect(isAgeFile(stored)).toBe(true)
      work.write('secrets/app.txt', Buffer.concat([stored, Buffer.from(`${MARKER}\n`)]))
      const add = work.tryGit('add', '-A')
      expect(add.status, add.stderr).toBe(0) // clean does not fail: git status must keep working
      expect(add.stderr).toContain('secrets/app.txt: looks like ciphertext but is not the ciphertext git stores for it')
      expect(add.stderr).toContain("'git checkout -- secrets/app.txt'")
      const staged = work.blob(':secrets/app.txt')
      expect(isAgeFile(staged)).toBe(true)
      expect(staged.includes(MARKER)).toBe(false)
      // what the blob holds is the whole input, as content
      expect(opens(key, staged).equals(work.read('secrets/app.txt'))).toBe(true)
      const commitTry = work.tryGit('commit', '-qm', 'sneak')
      expect(commitTry.status).not.toBe(0)
      expect(commitTry.stderr).toContain(
        'secrets/app.txt holds input that looked like ciphertext but was not proven so',
      )
      const status = work.seal('status')
      expect(status.status).toBe(1)
      expect(status.stdout).toContain('not proven so')
      // the hint works: the stored version comes back and the index is clean again
      work.git('checkout', 'HEAD', '--', 'secrets/app.txt')
      expect(work.status()).toBe('')
      expect(work.seal('guard').status).toBe(0)
      expectNoLeak(work, MARKER)
    })
  }

  it('a keyless clone: a plaintext comment added to a sops document is not kept; guard and verify judge its structure', () => {
    const { repo } = sealedRepo(['*.yaml'])
    commit(repo, 'app.yaml', 'api: secret-value\n')
    const work = clone(repo, null)
    const stored = work.read('app.yaml').toString()
    expect(stored).toContain('ENC[AES256_GCM')
    work.write('app.yaml', `# ${MARKER}\n${stored}`)
    const add = work.tryGit('add', 'app.yaml')
    expect(add.status, add.stderr).toBe(0)
    expect(add.stderr).toContain('app.yaml: looks like ciphertext but is not')
    expect(work.blob(':app.yaml').includes(MARKER)).toBe(false)
    expect(work.tryGit('commit', '-qm', 'x').status).not.toBe(0)
    // the same document staged by a clone without git-seal: plaintext by structure
    work.git('checkout', 'HEAD', '--', 'app.yaml')
    work.stageRaw('app.yaml', `# ${MARKER}\n${stored}`)
    const guard = work.seal('guard')
    expect(guard.status).toBe(1)
    expect(guard.stderr).toContain('app.yaml is staged in plaintext')
    work.git('commit', '-qm', 'bypass', '--no-verify')
    const verify = work.seal('verify', 'HEAD~1..HEAD')
    expect(verify.status).toBe(1)
    expect(verify.stderr).toContain('app.yaml holds a secret in plaintext')
  })

  it('with a key: an age file made elsewhere is authenticated and re-encrypted to the configured recipients only', () => {
    const { repo, key } = sealedRepo()
    const stranger = newKey()
    const foreign = Buffer.from(
      encrypt(Buffer.from(`${MARKER}\n`), [parseRecipient(key.recipient), parseRecipient(stranger.recipient)]),
    )
    repo.write('secrets/from-age.txt', foreign)
    const add = repo.tryGit('add', '-A')
    expect(add.status, add.stderr).toBe(0)
    const staged = repo.blob(':secrets/from-age.txt')
    expect(staged.equals(foreign)).toBe(false)
    expect(opens(key, staged).toString()).toBe(`${MARKER}\n`)
    expect(() => decrypt(staged, [parseIdentity(stranger.identity)])).toThrow()
    repo.git('commit', '-qm', 'from age')
    expectNoLeak(repo, MARKER)
  })

  it('a sops file encrypted to recipients the config does not name is re-encrypted, not kept', () => {
    const fixtures = join(ROOT, 'test', 'fixtures', 'sops', 'humphd')
    const identity = readFileSync(join(fixtures, 'key.txt'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('AGE-SECRET-KEY-'))!
    const recipient = /public key: (age1\S+)/.exec(readFileSync(join(fixtures, 'key.txt'), 'utf8'))![1]!
    const home = newHome()
    home.installKey({ identity, recipient })
    const repo = Repo.init(home)
    repo.write('.gitseal.yaml', simpleConfig(['*.enc.*'], [{ name: 'humphd', key: recipient }]))
    expect(repo.seal('sync').status).toBe(0)
    expect(repo.seal('install').status).toBe(0)
    const sopsBytes = readFileSync(join(fixtures, 'secret.enc.yaml'))
    expect(sopsBytes.toString().match(/recipient:/g)).toHaveLength(3)
    repo.write('secret.enc.yaml', sopsBytes)
    const add = repo.tryGit('add', '.')
    expect(add.status, add.stderr).toBe(0)
    const staged = repo.blob(':secret.enc.yaml').toString()
    expect(staged.match(/recipient:/g)).toHaveLength(1)
    expect(staged).toContain(recipient)
    expect(repo.seal('guard').status).toBe(0)
  })
})

describe('after a rekey, nothing brings the old recipients back', () => {
  it('a locked clone: rekey puts the new ciphertext in the work tree, and add -A keeps the new blob', () => {
    const { repo, key } = sealedRepo()
    commit(repo, 'secrets/db.txt', `${MARKER}\n`)
    expect(repo.seal('lock').status).toBe(0)
    const old = repo.blobId(':secrets/db.txt')
    const bob = newKey()
    const added = repo.seal('add-recipient', 'bob', bob.recipient, '--group', 'dev', '--admin')
    expect(added.status, added.stderr).toBe(0)
    const rekeyed = repo.blobId(':secrets/db.txt')
    expect(rekeyed).not.toBe(old)
    expect(opens(bob, repo.blob(':secrets/db.txt')).toString()).toBe(`${MARKER}\n`)
    // the work tree was brought up to date (still ciphertext: the clone is locked)
    expect(repo.read('secrets/db.txt').equals(repo.blob(':secrets/db.txt'))).toBe(true)
    repo.git('add', '-A')
    expect(repo.blobId(':secrets/db.txt')).toBe(rekeyed)
    void key
    expectNoLeak(repo, MARKER)
  })

  it('the old ciphertext written back by hand is not restaged: clean re-encrypts it to the new recipients', () => {
    const { repo } = sealedRepo()
    commit(repo, 'secrets/db.txt', `${MARKER}\n`)
    const old = repo.blob('HEAD:secrets/db.txt')
    const bob = newKey()
    expect(repo.seal('add-recipient', 'bob', bob.recipient, '--group', 'dev', '--admin').status).toBe(0)
    repo.git('commit', '-qm', 'rekey')
    repo.write('secrets/db.txt', old)
    repo.git('add', '-A')
    const now = repo.blob(':secrets/db.txt')
    expect(now.equals(old)).toBe(false)
    expect(opens(bob, now).toString()).toBe(`${MARKER}\n`)
    expectNoLeak(repo, MARKER)
  })
})

describe('large sops documents', () => {
  it('a sops document over 4 MiB is encrypted, decrypted on checkout and never called plaintext', () => {
    const { repo } = sealedRepo(['*.yaml'])
    const lines = [`marker: ${MARKER}`]
    for (let i = 0, size = 0; size < 5 << 20; i++)
      size += lines[lines.push(`key_${i}: value-${i}-${'x'.repeat(80)}`) - 1]!.length + 1
    const doc = lines.join('\n') + '\n'
    repo.write('big.yaml', doc)
    repo.git('add', 'big.yaml')
    repo.git('commit', '-qm', 'big')
    expect(repo.blob('HEAD:big.yaml').length).toBeGreaterThan(4 << 20)
    repo.run('rm', [join(repo.dir, 'big.yaml')])
    const checkout = repo.tryGit('checkout', '--', 'big.yaml')
    expect(checkout.status).toBe(0)
    expect(checkout.stderr).not.toContain('without encryption')
    expect(repo.read('big.yaml').toString()).toBe(doc)
    expect(repo.status()).toBe('')
    expect(repo.seal('guard').status).toBe(0)
    expectNoLeak(repo, MARKER)
  })
})

describe('hunks staged without clean (git add -p, git am)', () => {
  it('a sops blob whose MAC no longer verifies is refused by the guard; staging the whole file fixes it', () => {
    const { repo, key } = sealedRepo(['*.yaml'])
    commit(repo, 'app.yaml', 'a: one\nb: two\n')
    const before = repo.blob('HEAD:app.yaml').toString()
    repo.write('app.yaml', `a: ${MARKER}\nb: two\n`)
    repo.git('add', 'app.yaml')
    const after = repo.blob(':app.yaml').toString()
    repo.git('reset', '-q')
    // What `git add -p` stages when only the value's hunk is taken: the new ENC value with the old MAC.
    const newA = /^a: (ENC\[.*\])$/m.exec(after)![1]!
    const hunk = before.replace(/^a: ENC\[.*\]$/m, `a: ${newA}`)
    repo.stageRaw('app.yaml', hunk)
    for (const who of ['with the key', 'without a key'] as const) {
      const env = who === 'with the key' ? repo.env : { ...repo.env, HOME: tempDir(), XDG_CONFIG_HOME: tempDir() }
      const guard = repo.run(process.execPath, [join(ROOT, 'dist', 'git-seal.mjs'), 'guard'], { env })
      expect(guard.status, who).toBe(1)
      expect(guard.stderr).toContain('app.yaml is a sops document that nothing here vouches for')
      expect(guard.stderr).toContain("'git add -- app.yaml'")
    }
    repo.git('add', '--', 'app.yaml')
    expect(repo.seal('guard').status).toBe(0)
    repo.git('commit', '-qm', 'whole file')
    void key
    expectNoLeak(repo, MARKER)
  })

  it('a sops blob this clone encrypted passes the guard in a keyless clone', () => {
    const { repo } = sealedRepo(['*.yaml'])
    commit(repo, 'app.yaml', 'a: one\n')
    const work = clone(repo, null)
    work.write('new.yaml', `n: ${MARKER}\n`)
    work.git('add', 'new.yaml')
    const guard = work.seal('guard')
    expect(guard.status, guard.stderr).toBe(0)
    work.git('commit', '-qm', 'new secret from a keyless clone')
    expectNoLeak(work, MARKER)
  })
})

describe('conflict markers and empty files', () => {
  it('an age-format secret that still holds conflict markers is refused at git add', () => {
    const { repo } = sealedRepo()
    repo.write('secrets/app.txt', `<<<<<<< ours\n${MARKER}\n=======\nother\n>>>>>>> theirs\n`)
    const add = repo.tryGit('add', 'secrets/app.txt')
    expect(add.status).not.toBe(0)
    expect(add.stderr).toContain('secrets/app.txt: still holds conflict markers')
    expect(repo.git('ls-files', 'secrets/app.txt')).toBe('')
    expectNoLeak(repo, MARKER)
  })

  it('an empty secret file does not look modified: lock, diff and status agree', () => {
    const { repo } = sealedRepo()
    repo.write('secrets/empty.txt', '')
    repo.write('secrets/full.txt', `${MARKER}\n`)
    repo.git('add', '-A')
    repo.git('commit', '-qm', 'empty and full')
    expect(repo.blob('HEAD:secrets/empty.txt').length).toBe(0)
    expect(repo.git('diff', '--name-only')).toBe('')
    const lock = repo.seal('lock')
    expect(lock.status, lock.stderr).toBe(0)
    expect(repo.status()).toBe('')
    expect(repo.seal('unlock').status).toBe(0)
    expect(repo.read('secrets/empty.txt').length).toBe(0)
    expect(repo.seal('status').status).toBe(0)
    expect(repo.seal('verify').status).toBe(0)
    expectNoLeak(repo, MARKER)
  })
})
