// People declared once, with real git: add-recipient with a .pub file, set-key replacing a key
// everywhere and rekeying, malformed keys reported against the argument, formatting kept.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { decrypt, parseIdentity } from '../../src/age/index.js'
import { ROOT, Repo, expectNoLeak, isAgeFile, newHome, newKey, tempDir, type Key } from '../helpers/repo.js'

const SSH_PUB_FILE = join(ROOT, 'test', 'fixtures', 'ssh-to-age', 'id_ed25519.pub')
const SSH_PUB = readFileSync(SSH_PUB_FILE, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ')
const MARKER = 'people-marker-7f3a'

function config(alice: Key, bob: Key, ci: Key): string {
  return `# who reads what
version: 2
people:
  - name: alice        # laptop
    key: ${alice.recipient}
  - name: bob
    key: ${bob.recipient}
    comment: backend
  - name: ci
    key: ${ci.recipient}
groups:
  prod:
    recipients:
      admins: [alice, bob]   # on call
      targets: [ci]
    secrets:
      app:
        path: [secrets/app.txt, secrets/app.yaml]
        targets: [ci]
  staging:
    recipients:
      admins:
        - alice
        - bob
    secrets:
      stage:
        path: staging/**
`
}

function setup(): { repo: Repo; alice: Key; bob: Key; ci: Key } {
  const alice = newKey()
  const bob = newKey()
  const ci = newKey()
  const home = newHome()
  home.installKey(alice)
  const repo = Repo.init(home)
  repo.write('.gitseal.yaml', config(alice, bob, ci))
  expect(repo.seal('sync').status).toBe(0)
  expect(repo.seal('install').status).toBe(0)
  repo.write('secrets/app.txt', `${MARKER} app\n`)
  repo.write('secrets/app.yaml', `token: ${MARKER}-yaml\n`)
  repo.write('staging/db.txt', `${MARKER} staging\n`)
  repo.git('add', '.')
  repo.git('commit', '-qm', 'secrets')
  return { repo, alice, bob, ci }
}

/** Lines of `git diff` for a file, without the headers. */
function changedLines(repo: Repo, path: string): string[] {
  return repo
    .git('diff', '--', path)
    .split('\n')
    .filter((l) => /^[-+]/.test(l) && !/^(---|\+\+\+) /.test(l))
}

function opens(blob: Buffer, key: Key): boolean {
  try {
    decrypt(blob, [parseIdentity(key.identity)])
    return true
  } catch {
    return false
  }
}

describe('people declared once', () => {
  it("set-key replaces a person's key in one line and rekeys every secret they read, in every group", () => {
    const { repo, alice, bob } = setup()
    const newBob = newKey()
    const r = repo.seal('set-key', 'bob', newBob.recipient)
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toContain("replaced bob's key in people")
    expect(r.stderr).toContain("bob's old key still opens every version encrypted to it")
    expect(r.stderr).toContain(`git-seal audit ${bob.recipient}`)
    expect(changedLines(repo, '.gitseal.yaml')).toEqual([`-    key: ${bob.recipient}`, `+    key: ${newBob.recipient}`])
    for (const path of ['secrets/app.txt', 'staging/db.txt']) {
      const blob = repo.blob(`:${path}`)
      expect(isAgeFile(blob)).toBe(true)
      expect(opens(blob, newBob), path).toBe(true)
      expect(opens(blob, bob), path).toBe(false)
    }
    expect(opens(repo.blob(':secrets/app.txt'), alice)).toBe(true)
    const yaml = repo.blob(':secrets/app.yaml').toString()
    expect(yaml).toContain(newBob.recipient)
    expect(yaml).not.toContain(bob.recipient)
    repo.git('commit', '-qam', 'rotate bob')
    expect(repo.status()).toBe('')
    expect(repo.seal('rekey').stderr).toContain('every secret already matches the config')
    expectNoLeak(repo, MARKER)
  })

  it('add-recipient with a .pub file declares the person once and names them in the group; only those lines change', () => {
    const { repo } = setup()
    const r = repo.seal('add-recipient', 'web', SSH_PUB_FILE, '--group', 'prod', '--target')
    expect(r.status, r.stderr).toBe(0)
    expect(changedLines(repo, '.gitseal.yaml')).toEqual([
      '+  - name: web',
      `+    key: ${SSH_PUB}`,
      '-      targets: [ci]',
      '+      targets: [ci, web]',
    ])
    // the person is then added to another group by name alone
    const again = repo.seal('add-recipient', 'web', '--group', 'staging', '--target')
    expect(again.status, again.stderr).toBe(0)
    expect(readFileSync(join(repo.dir, '.gitseal.yaml'), 'utf8')).toContain(
      '        - bob\n      targets:\n        - web\n',
    )
    expect(repo.seal('status').status).toBe(0)
    expectNoLeak(repo, MARKER)
  })

  it('an age key file is read for its public key; a private key is never echoed', () => {
    const { repo } = setup()
    const carol = newKey()
    const dir = tempDir()
    writeFileSync(join(dir, 'carol.txt'), `# created: today\n# public key: ${carol.recipient}\n${carol.identity}\n`)
    writeFileSync(join(dir, 'secret-only.txt'), `${carol.identity}\n`)
    const r = repo.seal('add-recipient', 'carol', join(dir, 'carol.txt'), '--group', 'prod', '--admin')
    expect(r.status, r.stderr).toBe(0)
    expect(readFileSync(join(repo.dir, '.gitseal.yaml'), 'utf8')).toContain(`    key: ${carol.recipient}\n`)
    expect(opens(repo.blob(':secrets/app.txt'), carol)).toBe(true)
    const priv = repo.seal('add-recipient', 'dan', join(dir, 'secret-only.txt'), '--group', 'prod', '--admin')
    expect(priv.status).toBe(1)
    expect(priv.stderr).toContain('holds a private key and no public one')
    const typed = repo.seal('add-recipient', 'dan', carol.identity, '--group', 'prod', '--admin')
    expect(typed.status).toBe(1)
    expect(typed.stderr).toContain('the KEY argument: this is a private key')
    expect(typed.stderr + priv.stderr).not.toContain(carol.identity.slice(16))
  })

  it('a malformed key is reported against the argument, and the config is left alone', () => {
    const { repo } = setup()
    const before = readFileSync(join(repo.dir, '.gitseal.yaml'), 'utf8')
    const r = repo.seal('add-recipient', 'dan', 'age1notakey', '--group', 'prod', '--admin')
    expect(r.status).toBe(1)
    expect(r.stderr).toContain("error: KEY 'age1notakey': not a valid age recipient")
    expect(r.stderr).not.toContain('.gitseal.yaml:')
    const s = repo.seal('set-key', 'bob', 'ssh-rsa AAAAB3NzaC1yc2E')
    expect(s.status).toBe(1)
    expect(s.stderr).toContain("error: KEY 'ssh-rsa AAAAB3NzaC1yc2E': ssh-rsa keys are not supported")
    const missing = repo.seal('set-key', 'bob', 'nope/bob.pub')
    expect(missing.stderr).toContain('cannot read the key file nope/bob.pub: ENOENT')
    expect(readFileSync(join(repo.dir, '.gitseal.yaml'), 'utf8')).toBe(before)
  })

  it('set-key of a name nobody has is refused', () => {
    const { repo } = setup()
    const r = repo.seal('set-key', 'mallory', newKey().recipient)
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('no person or recipient named mallory')
  })

  it('remove-recipient of a person removes their declaration and their mentions, keeping flow lists and comments', () => {
    const { repo, ci } = setup()
    const r = repo.seal('remove-recipient', 'ci')
    expect(r.status, r.stderr).toBe(0)
    expect(changedLines(repo, '.gitseal.yaml').sort()).toEqual(
      [
        '-  - name: ci',
        `-    key: ${ci.recipient}`,
        '-      targets: [ci]',
        '+      targets: []',
        '-        targets: [ci]',
        '+        targets: []',
      ].sort(),
    )
    expect(opens(repo.blob(':secrets/app.txt'), ci)).toBe(false)
  })

  it('set-key of an inline recipient (schema 1 form) replaces its key in every group', () => {
    const alice = newKey()
    const host = newKey()
    const home = newHome()
    home.installKey(alice)
    const repo = Repo.init(home)
    const inline = (k: string) =>
      `version: 1\ngroups:\n  a:\n    recipients:\n      admins:\n        - name: alice\n          key: ${alice.recipient}\n      targets:\n        - name: host\n          key: ${k}\n    secrets:\n      s:\n        path: a/*\n        targets: ["*"]\n  b:\n    recipients:\n      admins:\n        - name: host\n          key: ${k}\n    secrets:\n      t:\n        path: b/*\n`
    repo.write('.gitseal.yaml', inline(host.recipient))
    expect(repo.seal('sync').status).toBe(0)
    expect(repo.seal('install').status).toBe(0)
    repo.write('a/x', `${MARKER} a\n`)
    repo.write('b/y', `${MARKER} b\n`)
    repo.git('add', '.')
    repo.git('commit', '-qm', 'init')
    const newHost = newKey()
    const r = repo.seal('set-key', 'host', newHost.recipient)
    expect(r.status, r.stderr).toBe(1)
    expect(r.stderr).toContain("replaced host's key in group a, group b")
    expect(readFileSync(join(repo.dir, '.gitseal.yaml'), 'utf8')).toBe(inline(newHost.recipient))
    // b/y is for host only: alice cannot decrypt it, so rekey reports it and it keeps the old key
    expect(opens(repo.blob(':a/x'), newHost)).toBe(true)
    expect(r.stderr).toContain('error: b/y: no identity matched any of the recipients')
    expectNoLeak(repo, MARKER)
  })
})
