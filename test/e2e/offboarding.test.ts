// Offboarding and audit with real git: a stolen laptop (remove-recipient lists exactly what was
// readable, audit marks what was rotated since, for one recipient or all), a shallow clone's
// incomplete answer, and CI clones that hold a target's key only.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BUNDLE, Repo, expectNoLeak, newHome, newKey, tempDir, type Key } from '../helpers/repo.js'

const MARKER = 'offboard-marker-93d'

interface AuditJson {
  recipient: string
  current: boolean
  shallow: boolean
  paths: { path: string; versions: { blob: string }[]; via: string[]; rotation?: string; unchanged?: string[] }[]
  checklist: string[]
}

function setup(): { repo: Repo; alice: Key; bob: Key; ci: Key } {
  const alice = newKey()
  const bob = newKey()
  const ci = newKey()
  const home = newHome()
  home.installKey(alice)
  const repo = Repo.init(home)
  repo.write(
    '.gitseal.yaml',
    `version: 2
people:
  - name: alice
    key: ${alice.recipient}
  - name: bob
    key: ${bob.recipient}
    comment: laptop
  - name: ci
    key: ${ci.recipient}
groups:
  prod:
    recipients:
      admins: [alice, bob]
      targets: [ci]
    secrets:
      app:
        path: [secrets/app.env, secrets/key.txt]
        targets: [ci]
  ops:
    recipients:
      admins: [alice]
    secrets:
      ops:
        path: ops/**
`,
  )
  expect(repo.seal('sync').status).toBe(0)
  expect(repo.seal('install').status).toBe(0)
  repo.write('secrets/app.env', `DB_USER=app\nDB_PASSWORD=${MARKER}-1\n`)
  repo.write('secrets/key.txt', `${MARKER} key\n`)
  repo.write('ops/root.txt', `${MARKER} ops\n`)
  repo.git('add', '.')
  repo.git('commit', '-qm', 'v1')
  repo.write('secrets/app.env', `DB_USER=app\nDB_PASSWORD=${MARKER}-2\n`)
  repo.git('commit', '-qam', 'v2')
  return { repo, alice, bob, ci }
}

function audit(repo: Repo, ...args: string[]): AuditJson {
  const r = repo.seal('audit', ...args, '--json')
  expect(r.status, r.stderr).toBe(0)
  return JSON.parse(r.stdout) as AuditJson
}

describe('a stolen laptop', () => {
  it('remove-recipient lists every secret and version the person could read; audit then marks what was rotated', () => {
    const { repo } = setup()
    const remove = repo.seal('remove-recipient', 'bob')
    expect(remove.status, remove.stderr).toBe(0)
    expect(remove.stderr).toContain('bob could read 2 secret file(s) until now')
    expect(remove.stdout).toContain('bob could read these secrets (and versions):')
    expect(remove.stdout).toMatch(/secrets\/app\.env\t2 version\(s\)\t/)
    expect(remove.stdout).toMatch(/secrets\/key\.txt\t1 version\(s\)\t/)
    expect(remove.stdout).not.toContain('ops/root.txt')
    expect(remove.stdout).toContain('  - the values in secrets/app.env (all 2 versions they could read)')
    repo.git('commit', '-qam', 'bob leaves')

    let report = audit(repo, 'bob')
    expect(report.current).toBe(false)
    expect(report.shallow).toBe(false)
    expect(report.paths.map((p) => [p.path, p.versions.length, p.rotation])).toEqual([
      ['secrets/app.env', 2, 'not rotated'],
      ['secrets/key.txt', 1, 'not rotated'],
    ])
    expect(report.paths[0]!.via).toEqual(expect.arrayContaining(['config', 'sops-recipients']))
    expect(report.paths[1]!.via).toEqual(expect.arrayContaining(['config', 'declared']))

    // rotate the key file and one of the two values
    repo.write('secrets/key.txt', `${MARKER} new key\n`)
    repo.write('secrets/app.env', `DB_USER=app\nDB_PASSWORD=${MARKER}-3\n`)
    repo.git('commit', '-qam', 'rotate')
    report = audit(repo, 'bob')
    expect(report.paths.map((p) => [p.path, p.rotation, p.unchanged ?? null])).toEqual([
      ['secrets/app.env', 'partly rotated', ['DB_USER']],
      ['secrets/key.txt', 'rotated', null],
    ])
    expect(report.checklist.join('\n')).toContain('rotate the values in secrets/app.env')
    expect(report.checklist.join('\n')).not.toContain('secrets/key.txt')
    const text = repo.seal('audit', 'bob')
    expect(text.stdout).toMatch(
      /secrets\/key\.txt\t1 version\(s\)\t[0-9a-f]{12}\.\.[0-9a-f]{12}\t\d+ commit\(s\)\tvia [a-z, -]+\trotated/,
    )
    expectNoLeak(repo, MARKER)
  })

  it('audit without a name covers every recipient of the history', () => {
    const { repo } = setup()
    expect(repo.seal('remove-recipient', 'bob').status).toBe(0)
    repo.git('commit', '-qam', 'bob leaves')
    const r = repo.seal('audit', '--json')
    expect(r.status, r.stderr).toBe(0)
    const all = JSON.parse(r.stdout) as {
      shallow: boolean
      recipients: { recipient: string; current: boolean; paths: { path: string }[] }[]
    }
    expect(all.recipients.map((a) => [a.recipient, a.current, a.paths.map((p) => p.path)])).toEqual([
      ['alice', true, ['ops/root.txt', 'secrets/app.env', 'secrets/key.txt']],
      ['bob', false, ['secrets/app.env', 'secrets/key.txt']],
      ['ci', true, ['secrets/app.env', 'secrets/key.txt']],
    ])
    const text = repo.seal('audit')
    expect(text.stdout).toContain('bob (no longer a recipient)')
  })

  it('a shallow clone says its answer may be incomplete', () => {
    const { repo, alice } = setup()
    const home = newHome()
    home.installKey(alice)
    const dir = join(tempDir(), 'shallow')
    expect(spawnSync('git', ['clone', '-q', '--depth', '1', `file://${repo.dir}`, dir], { env: home.env }).status).toBe(
      0,
    )
    const shallow = new Repo(dir, home)
    expect(shallow.seal('install').status).toBe(0)
    const r = shallow.seal('audit', 'bob', '--json')
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toContain('this clone is shallow')
    expect((JSON.parse(r.stdout) as AuditJson).shallow).toBe(true)
    expect(audit(repo, 'bob').shallow).toBe(false)
  })
})

describe('a clone with a target key only (CI)', () => {
  it('summarises the secrets that are not for it in one line, without a key hint', () => {
    const { repo, ci } = setup()
    const home = newHome()
    const dir = join(tempDir(), 'ci')
    expect(spawnSync('git', ['clone', '-q', repo.dir, dir], { env: home.env }).status).toBe(0)
    const clone = new Repo(dir, home, { ...home.env, SOPS_AGE_KEY: ci.identity })
    const install = clone.seal('install')
    expect(install.status, install.stderr).toBe(0)
    expect(install.stderr).toContain('decrypted 2 secret file(s)')
    expect(install.stderr).toContain('1 secret is not encrypted to you')
    expect(install.stderr).not.toContain('left encrypted')
    expect(install.stderr).not.toContain('keys.txt')
    expect(clone.read('secrets/key.txt').toString()).toContain(MARKER)
    // a checkout through the filter says the same in one line
    repo.write('ops/more.txt', `${MARKER} more\n`)
    repo.write('ops/third.txt', `${MARKER} third\n`)
    repo.git('add', '.')
    repo.git('commit', '-qm', 'more ops')
    const pull = clone.tryGit('pull', '-q')
    expect(pull.status, pull.stderr).toBe(0)
    expect(pull.stderr).toContain('2 secrets are not encrypted to you')
    expect(pull.stderr).not.toContain('ops/more.txt')
    expect(pull.stderr).not.toContain('keys.txt')
  })

  it("a failing SOPS_AGE_KEY_CMD shows the command's own stderr", () => {
    const { repo } = setup()
    const r = repo.run(process.execPath, [BUNDLE, 'status'], {
      env: {
        ...repo.env,
        SOPS_AGE_KEY_CMD: 'echo "vault: you are not signed in" >&2; echo partial-key-material; exit 4',
      },
    })
    expect(r.stderr).toContain('SOPS_AGE_KEY_CMD failed (exit 4): vault: you are not signed in')
    expect(r.stderr).not.toContain('partial-key-material')
  })
})
