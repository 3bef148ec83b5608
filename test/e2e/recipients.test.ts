// The recipients lifecycle with real git: SSH-key targets, add/remove + rekey, audit.
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { decrypt, encrypt, parseIdentity, scryptRecipient } from '../../src/age/index.js'
import { ROOT, Repo, isAgeFile, newHome, newKey, sealedRepo, tempDir, type Key } from '../helpers/repo.js'

const hasAgeCli = spawnSync('age', ['--version']).status === 0
const SSH_DIR = join(ROOT, 'test', 'fixtures', 'ssh-to-age')
const SSH_PUB = readFileSync(join(SSH_DIR, 'id_ed25519.pub'), 'utf8').trim()
const SSH_AS_AGE = 'age17044m9wgakla6pzftf4srtl3h5mcsr85jysgt5fg23zpnta8sfdqhzn452'

function config(admins: { name: string; key: string }[], targets: { name: string; key: string }[]): string {
  const list = (xs: { name: string; key: string }[]) =>
    xs.flatMap((x) => [`        - name: ${x.name}`, `          key: ${x.key}`])
  return [
    'version: 1',
    '# who reads what',
    'groups:',
    '  prod:',
    '    recipients:',
    '      admins:',
    ...list(admins),
    ...(targets.length ? ['      targets:', ...list(targets)] : []),
    '    secrets:',
    '      server:',
    '        path: [secrets/server1.txt, secrets/server1.yaml]',
    '        targets: [server1]',
    '      admin-only:',
    '        path: secrets/admin.txt',
    '',
  ].join('\n')
}

function setup(): { repo: Repo; alice: Key } {
  const alice = newKey()
  const home = newHome()
  home.installKey(alice)
  const repo = Repo.init(home)
  repo.write('.gitseal.yaml', config([{ name: 'alice', key: alice.recipient }], [{ name: 'server1', key: SSH_PUB }]))
  expect(repo.seal('sync').status).toBe(0)
  expect(repo.seal('install').status).toBe(0)
  repo.write('secrets/server1.txt', 'server one secret\n')
  repo.write('secrets/server1.yaml', 'db:\n  password: hunter2 # inline\n  port: 5432\n')
  repo.write('secrets/admin.txt', 'admin only\n')
  repo.git('add', '.')
  repo.git('commit', '-qm', 'secrets')
  return { repo, alice }
}

function sshKeyCopy(): string {
  const file = join(tempDir(), 'id_ed25519')
  copyFileSync(join(SSH_DIR, 'id_ed25519'), file)
  chmodSync(file, 0o600)
  return file
}

describe('ssh-ed25519 targets', () => {
  it('ssh-to-age prints the known vector', () => {
    const { repo } = setup()
    const out = repo.run(process.execPath, [
      join(ROOT, 'dist', 'git-seal.mjs'),
      'ssh-to-age',
      join(SSH_DIR, 'id_ed25519.pub'),
    ])
    expect(out.stdout.trim()).toBe(SSH_AS_AGE)
  })

  it('the target decrypts only its secrets with git-seal, in both formats', () => {
    const { repo } = setup()
    const home = newHome()
    const dir = join(tempDir(), 'server')
    expect(spawnSync('git', ['clone', '-q', repo.dir, dir], { env: home.env }).status).toBe(0)
    const server = new Repo(dir, home, { ...home.env, SOPS_AGE_SSH_PRIVATE_KEY_FILE: sshKeyCopy() })
    const install = server.seal('install')
    expect(install.status, install.stderr).toBe(0)
    expect(server.read('secrets/server1.txt').toString()).toBe('server one secret\n')
    expect(server.read('secrets/server1.yaml').toString()).toBe('db:\n  password: hunter2 # inline\n  port: 5432\n')
    expect(isAgeFile(server.read('secrets/admin.txt'))).toBe(true)
    // the sops file records the converted recipient, as sops-nix needs
    expect(repo.blob('HEAD:secrets/server1.yaml').toString()).toContain(SSH_AS_AGE)
  })

  // Reported as skipped, never as passed, without the age CLI on PATH (.ci/run installs it).
  it.runIf(hasAgeCli)(
    "the age CLI decrypts the target's age file with the SSH key, and not the admin-only one (skipped when `age` is not on PATH)",
    () => {
      const { repo } = setup()
      const dir = tempDir()
      writeFileSync(join(dir, 'server.age'), repo.blob('HEAD:secrets/server1.txt'))
      writeFileSync(join(dir, 'admin.age'), repo.blob('HEAD:secrets/admin.txt'))
      const key = sshKeyCopy()
      expect(execFileSync('age', ['-d', '-i', key, join(dir, 'server.age')]).toString()).toBe('server one secret\n')
      expect(spawnSync('age', ['-d', '-i', key, join(dir, 'admin.age')]).status).not.toBe(0)
    },
  )
})

describe('add and remove recipients', () => {
  it('add + rekey: the new admin decrypts; sops values are unchanged in the diff', () => {
    const { repo } = setup()
    const bob = newKey()
    const add = repo.seal('add-recipient', 'bob', bob.recipient, '--group', 'prod', '--admin')
    expect(add.status, add.stderr).toBe(0)
    expect(readFileSync(join(repo.dir, '.gitseal.yaml'), 'utf8')).toContain('# who reads what')
    const diff = repo.git('diff', '--cached', '--no-textconv', '--', 'secrets/server1.yaml')
    const changed = diff.split('\n').filter((l) => /^[-+][^-+]/.test(l))
    expect(changed.some((l) => l.includes('password:'))).toBe(false)
    expect(changed.some((l) => l.includes('port:'))).toBe(false)
    for (const path of ['secrets/server1.txt', 'secrets/admin.txt', 'secrets/server1.yaml']) {
      const blob = repo.blob(`:${path}`)
      if (isAgeFile(blob)) expect(Buffer.from(decrypt(blob, [parseIdentity(bob.identity)])).length).toBeGreaterThan(0)
      else expect(blob.toString()).toContain(bob.recipient)
    }
    repo.git('commit', '-qam', 'add bob')
    expect(repo.status()).toBe('')
    // idempotent
    const again = repo.seal('rekey')
    expect(again.stderr).toContain('every secret already matches the config')
  })

  it('remove + rekey: the removed key no longer decrypts new blobs; the others still do; status clean', () => {
    const { repo, alice } = setup()
    const bob = newKey()
    expect(repo.seal('add-recipient', 'bob', bob.recipient, '--group', 'prod', '--admin').status).toBe(0)
    repo.git('commit', '-qam', 'add bob')
    const remove = repo.seal('remove-recipient', 'bob')
    expect(remove.status, remove.stderr).toBe(0)
    expect(remove.stderr).toContain('does not revoke history')
    repo.git('commit', '-qam', 'remove bob')
    const blob = repo.blob('HEAD:secrets/admin.txt')
    expect(() => decrypt(blob, [parseIdentity(bob.identity)])).toThrow()
    expect(Buffer.from(decrypt(blob, [parseIdentity(alice.identity)])).toString()).toBe('admin only\n')
    expect(repo.blob('HEAD:secrets/server1.yaml').toString()).not.toContain(bob.recipient)
    expect(repo.status()).toBe('')
  })
})

describe('audit', () => {
  it('lists exactly the paths a recipient could read across joins and leaves in two groups', () => {
    const alice = newKey()
    const carol = newKey()
    const home = newHome()
    home.installKey(alice)
    const repo = Repo.init(home)
    const cfg = (carolIn: ('dev' | 'prod')[]) =>
      [
        'version: 1',
        'groups:',
        ...(['dev', 'prod'] as const).flatMap((g) => [
          `  ${g}:`,
          '    recipients:',
          '      admins:',
          `        - name: alice-${g}`,
          `          key: ${alice.recipient}`,
          ...(carolIn.includes(g) ? ['        - name: carol', `          key: ${carol.recipient}`] : []),
          '    secrets:',
          `      ${g}-secrets:`,
          `        path: ${g}/**`,
        ]),
        '',
      ].join('\n')
    const commit = (carolIn: ('dev' | 'prod')[], msg: string) => {
      repo.write('.gitseal.yaml', cfg(carolIn))
      expect(repo.seal('sync').status).toBe(0)
      repo.git('add', '-A')
      repo.git('commit', '-qm', msg)
      return repo.blobId('HEAD')
    }
    repo.write('.gitseal.yaml', cfg([]))
    expect(repo.seal('sync').status).toBe(0)
    expect(repo.seal('install').status).toBe(0)
    repo.write('dev/a.txt', 'a\n')
    repo.write('prod/b.txt', 'b\n')
    commit([], 'start')
    const joined = commit(['dev'], 'carol joins dev')
    repo.write('dev/c.txt', 'c\n')
    const left = commit(['dev'], 'dev gets c')
    commit([], 'carol leaves')
    repo.write('prod/d.txt', 'd\n')
    commit([], 'prod gets d')
    const out = repo.seal('audit', 'carol', '--json')
    expect(out.status, out.stderr).toBe(0)
    const report = JSON.parse(out.stdout) as {
      paths: { path: string; first: string; last: string }[]
      checklist: string[]
    }
    expect(report.paths.map((p) => p.path)).toEqual(['dev/a.txt', 'dev/c.txt'])
    expect(report.paths[0]!.first).toBe(joined)
    expect(report.paths[0]!.last).toBe(left)
    expect(report.checklist.join('\n')).toContain('does not revoke history')
  })
})

describe('post-quantum hybrid recipients', () => {
  it('age-format secrets are encrypted to age1pq1 keys (typage decrypts); mixing them with X25519 ones is refused', async () => {
    const typage = await import('age-encryption')
    const pqIdentity = await typage.generateHybridIdentity()
    const pqRecipient = await typage.identityToRecipient(pqIdentity)
    const pq2 = await typage.identityToRecipient(await typage.generateHybridIdentity())
    expect(pqRecipient.startsWith('age1pq1')).toBe(true)
    const alice = newKey()
    const home = newHome()
    home.installKey(alice)
    const repo = Repo.init(home)
    const config = (second: string): string =>
      `version: 1\ngroups:\n  g:\n    recipients:\n      admins:\n        - name: second\n          key: ${second}\n        - name: quantum\n          key: ${pqRecipient}\n    secrets:\n      s:\n        path: secrets/**\n`
    // age refuses files mixing post-quantum and classic recipients: so does the config.
    repo.write('.gitseal.yaml', config(alice.recipient))
    const mixed = repo.seal('sync')
    expect(mixed.status).toBe(1)
    expect(mixed.stderr).toContain('mixes post-quantum (age1pq1) recipients (quantum) with classic ones (second)')
    repo.write('.gitseal.yaml', config(pq2))
    expect(repo.seal('sync').status).toBe(0)
    expect(repo.seal('install').status).toBe(0)
    repo.write('secrets/a.txt', 'post-quantum\n')
    const add = repo.tryGit('add', 'secrets/a.txt')
    expect(add.status, add.stderr).toBe(0)
    const blob = repo.blob(':secrets/a.txt')
    const d = new typage.Decrypter()
    d.addIdentity(pqIdentity)
    expect(Buffer.from(await d.decrypt(blob)).toString()).toBe('post-quantum\n')
    expect(() => decrypt(blob, [parseIdentity(alice.identity)])).toThrow()
    // a sops-format file cannot take them: refused with a hint, nothing staged
    repo.write('secrets/b.yaml', 'k: v\n')
    const refused = repo.tryGit('add', 'secrets/b.yaml')
    expect(refused.status).not.toBe(0)
    expect(refused.stderr).toContain('post-quantum (age1pq1) recipients are supported for age-format files only')
  })
})

describe('a passphrase-protected key file', () => {
  it('with no terminal to ask on, fails to load with a hint to use SOPS_AGE_KEY_CMD, and the checkout carries on', () => {
    const { repo, key } = sealedRepo(['secrets/**'])
    repo.write('secrets/a.txt', 'a\n')
    repo.git('add', '.')
    repo.git('commit', '-qm', 'a')
    const keyFile = join(repo.home.dir, '.config', 'sops', 'age', 'keys.txt')
    writeFileSync(keyFile, encrypt(Buffer.from(key.identity + '\n'), [scryptRecipient('pass', 10)]), { mode: 0o600 })
    // setsid: a new session without a controlling terminal, as in CI or a GUI git client
    const r = repo.run('setsid', ['-w', process.execPath, join(ROOT, 'dist', 'git-seal.mjs'), 'status'])
    expect(r.stderr).toContain('no terminal to ask for it')
    expect(r.stderr).toContain('SOPS_AGE_KEY_CMD')
  })
})
