// Any clone knows whom each age blob is for: the recipient declaration, with real git. A fresh
// clone's rekey changes nothing; status and `recipients PATH` say declared or verified; a false
// declaration is caught where a key here can tell, and trusted only to skip where none can.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DeclarationRecipient, decrypt, encrypt, parseIdentity, parseRecipient } from '../../src/age/index.js'
import type { StatusReport } from '../../src/operations/status.js'
import { Repo, expectNoLeak, newHome, newKey, tempDir, type Key } from '../helpers/repo.js'

const MARKER = 'declared-marker-51c'

function config(admins: Key[], names: string[]): string {
  return [
    'version: 2',
    'people:',
    ...admins.flatMap((k, i) => [`  - name: ${names[i]}`, `    key: ${k.recipient}`]),
    'groups:',
    '  prod:',
    '    recipients:',
    `      admins: [${names.join(', ')}]`,
    '    secrets:',
    '      app:',
    '        path: secrets/**',
    '',
  ].join('\n')
}

function origin(): { repo: Repo; alice: Key; bob: Key } {
  const alice = newKey()
  const bob = newKey()
  const home = newHome()
  home.installKey(alice)
  const repo = Repo.init(home)
  repo.write('.gitseal.yaml', config([alice, bob], ['alice', 'bob']))
  expect(repo.seal('sync').status).toBe(0)
  expect(repo.seal('install').status).toBe(0)
  for (const n of [1, 2, 3]) repo.write(`secrets/s${n}.txt`, `${MARKER} ${n}\n`)
  repo.write('secrets/app.yaml', `token: ${MARKER}\n`)
  repo.git('add', '.')
  repo.git('commit', '-qm', 'secrets')
  return { repo, alice, bob }
}

function clone(from: Repo, key: Key): Repo {
  const home = newHome()
  home.installKey(key)
  const dir = join(tempDir(), 'clone')
  expect(spawnSync('git', ['clone', '-q', from.dir, dir], { env: home.env }).status).toBe(0)
  const repo = new Repo(dir, home)
  const install = repo.seal('install')
  expect(install.status, install.stderr).toBe(0)
  return repo
}

function status(repo: Repo, ...paths: string[]): StatusReport {
  return JSON.parse(repo.seal('status', '--json', ...paths).stdout) as StatusReport
}

describe('recipient declarations', () => {
  it('a fresh clone rekeys nothing, and adding a recipient there reports only that one', () => {
    const { repo, bob } = origin()
    const bobs = clone(repo, bob)
    const rekey = bobs.seal('rekey')
    expect(rekey.status, rekey.stderr).toBe(0)
    expect(rekey.stderr).toContain('every secret already matches the config')
    expect(bobs.git('diff', '--cached', '--name-only')).toBe('')
    const carol = newKey()
    const add = bobs.seal('add-recipient', 'carol', carol.recipient, '--group', 'prod', '--admin')
    expect(add.status, add.stderr).toBe(0)
    for (const n of [1, 2, 3]) expect(add.stderr).toContain(`rekeyed secrets/s${n}.txt (+carol)\n`)
    expect(add.stderr).toContain('rekeyed secrets/app.yaml (+carol)\n')
    expect(add.stderr).not.toContain('+alice')
    expect(add.stderr).not.toContain('+bob')
    expect(Buffer.from(decrypt(bobs.blob(':secrets/s1.txt'), [parseIdentity(carol.identity)])).toString()).toBe(
      `${MARKER} 1\n`,
    )
    expectNoLeak(bobs, MARKER)
  })

  it('status and recipients PATH say which recipients are verified and which only declared', () => {
    const { repo, bob } = origin()
    const bobs = clone(repo, bob)
    const report = status(bobs, 'secrets/s1.txt')
    expect(report.secrets.map((s) => s.path)).toEqual(['secrets/s1.txt'])
    expect(report.secrets[0]!.readers!.map((r) => [r.name, r.evidence])).toEqual([
      ['alice', 'declared'],
      ['bob', 'verified'],
    ])
    expect(report.secrets[0]!.problems).toEqual([])
    // the writer's own clone knows its blobs from its records
    expect(status(repo, 'secrets/s1.txt').secrets[0]!.readers!.map((r) => [r.name, r.evidence])).toEqual([
      ['alice', 'verified'],
      ['bob', 'verified'],
    ])
    const who = bobs.seal('recipients', 'secrets/s1.txt')
    expect(who.status, who.stderr).toBe(0)
    expect(who.stdout).toMatch(/alice\tadmin\tx25519\tdeclared\t/)
    expect(who.stdout).toMatch(/bob\tadmin\tx25519\tverified \(your key opens it\)\t/)
    const json = JSON.parse(bobs.seal('recipients', '--json', 'secrets/app.yaml').stdout) as {
      files: { path: string; readers: { name: string; key: string; evidence: string }[] }[]
    }
    expect(json.files[0]!.readers.find((r) => r.name === 'bob')).toMatchObject({
      evidence: 'verified',
      key: bob.recipient,
    })
    // a keyless clone reads the declaration too
    const keyless = clone(repo, newKey())
    expect(status(keyless, 'secrets/s2.txt').secrets[0]!.readers!.map((r) => [r.name, r.evidence])).toEqual([
      ['alice', 'declared'],
      ['bob', 'declared'],
    ])
  })

  it('a declaration that a key here contradicts is flagged, and never lets rekey skip the blob', () => {
    const { repo, alice, bob } = origin()
    const mallory = newKey()
    // mallory, who holds only the public keys, writes a blob for bob and herself that declares alice and bob
    const forged = encrypt(Buffer.from(`${MARKER} forged\n`), [
      parseRecipient(bob.recipient),
      parseRecipient(mallory.recipient),
      DeclarationRecipient.forKeys([alice.recipient, bob.recipient]),
    ])
    repo.stageRaw('secrets/s1.txt', forged)
    repo.git('commit', '-qm', 'forged', '--no-verify')
    // alice's clone: her declared key does not open it
    const aliceStatus = status(repo, 'secrets/s1.txt').secrets[0]!
    expect(aliceStatus.problems.map((p) => p.code)).toContain('declaration-mismatch')
    expect(aliceStatus.problems.find((p) => p.code === 'declaration-mismatch')!.message).toContain(
      'which does not open it',
    )
    expect(aliceStatus.readers).toBeNull()
    // bob's clone: his key opens it and is declared; alice cannot be checked from here, so the
    // declaration is believed (the threat model's "a writer can declare falsely")
    const bobs = clone(repo, bob)
    const bobStatus = status(bobs, 'secrets/s1.txt').secrets[0]!
    expect(bobStatus.readers!.map((r) => [r.name, r.evidence])).toEqual([
      ['alice', 'declared'],
      ['bob', 'verified'],
    ])
    // a blob with one stanza more than it declares is caught by anyone
    const extra = encrypt(Buffer.from(`${MARKER} extra\n`), [
      parseRecipient(alice.recipient),
      parseRecipient(bob.recipient),
      parseRecipient(mallory.recipient),
      DeclarationRecipient.forKeys([alice.recipient, bob.recipient]),
    ])
    bobs.stageRaw('secrets/s2.txt', extra)
    bobs.git('commit', '-qm', 'extra', '--no-verify')
    const extraStatus = status(bobs, 'secrets/s2.txt').secrets[0]!
    expect(extraStatus.problems.find((p) => p.code === 'declaration-mismatch')!.message).toContain(
      'declares 2 recipient(s) but holds 3 stanza(s)',
    )
    const rekey = bobs.seal('rekey')
    expect(rekey.status, rekey.stderr).toBe(0)
    expect(rekey.stderr).toContain('rekeyed secrets/s2.txt')
    expect(rekey.stderr).not.toContain('secrets/s3.txt')
    expect(() => decrypt(bobs.blob(':secrets/s2.txt'), [parseIdentity(mallory.identity)])).toThrow()
    expect(status(bobs, 'secrets/s2.txt').secrets[0]!.problems).toEqual([])
  })

  it('blobs written before declarations (none, no record) are rekeyed once, then declared', () => {
    const { repo, alice, bob } = origin()
    const plain = encrypt(Buffer.from(`${MARKER} old\n`), [
      parseRecipient(alice.recipient),
      parseRecipient(bob.recipient),
    ])
    repo.stageRaw('secrets/s3.txt', plain)
    repo.git('commit', '-qm', 'old style', '--no-verify')
    const bobs = clone(repo, bob)
    expect(status(bobs, 'secrets/s3.txt').secrets[0]!.readers).toBeNull()
    const rekey = bobs.seal('rekey')
    expect(rekey.stderr).toContain('rekeyed secrets/s3.txt (+alice +bob)')
    expect(rekey.stderr).not.toContain('secrets/s1.txt')
    bobs.git('commit', '-qm', 'declared')
    const again = clone(bobs, alice)
    expect(again.seal('rekey').stderr).toContain('every secret already matches the config')
  })
})
