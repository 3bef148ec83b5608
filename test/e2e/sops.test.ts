// SOPS-format secrets through git: what sops readers get, stability, migration from sops files.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { decryptSops as sopsAge } from 'sops-age'
import { describe, expect, it } from 'vitest'
import { ROOT, Repo, expectNoLeak, newHome, sealedRepo } from '../helpers/repo.js'

const YAML = `# database settings
db:
  user: app
  password: "s3cret-pass" # rotate monthly
  port: 5432
  replicas:
    - host: a.internal
    - host: b.internal
enabled: true
`

function changedLines(diff: string): string[] {
  return diff.split('\n').filter((l) => /^[-+](?![-+]{2} )/.test(l))
}

describe('sops format through git', () => {
  it("stores a sops document that sops-age decrypts; the work tree keeps the user's bytes", async () => {
    const { repo, key } = sealedRepo(['secrets/**'])
    repo.write('secrets/app.yaml', YAML)
    repo.git('add', '.')
    repo.git('commit', '-qm', 'yaml')
    const blob = repo.blob('HEAD:secrets/app.yaml').toString()
    expect(blob).toContain('password: "ENC[AES256_GCM,data:')
    expect(blob).toContain(key.recipient)
    expect(blob).not.toContain('s3cret-pass')
    expect(blob).toMatch(/^db:$/m) // keys stay readable
    const opened = await sopsAge(blob, { secretKey: key.identity, fileType: 'yaml' })
    expect(opened).toMatchObject({ db: { user: 'app', password: 's3cret-pass', port: 5432 }, enabled: true })
    expect(repo.read('secrets/app.yaml').toString()).toBe(YAML)
    expect(repo.status()).toBe('')
  })

  it('one value edit changes only that value, the MAC and lastmodified; git diff shows the value', () => {
    const { repo } = sealedRepo(['secrets/**'])
    repo.write('secrets/app.yaml', YAML)
    repo.write('secrets/app.env', 'A=1\nB=two\nexport C="three"\n')
    repo.git('add', '.')
    repo.git('commit', '-qm', 'first')
    repo.write('secrets/app.yaml', YAML.replace('port: 5432', 'port: 6543'))
    repo.write('secrets/app.env', 'A=1\nB=changed\nexport C="three"\n')
    expect(repo.git('diff', 'secrets/app.yaml')).toContain('+  port: 6543')
    repo.git('add', '.')
    const yamlDiff = changedLines(repo.git('diff', '--cached', '--no-textconv', 'secrets/app.yaml'))
    // lastmodified has a resolution of one second: both adds may fall in the same one.
    const stamped = yamlDiff.filter((l) => l.includes('lastmodified:'))
    expect([0, 2]).toContain(stamped.length)
    expect(yamlDiff).toHaveLength(4 + stamped.length)
    expect(yamlDiff.filter((l) => l.includes('port:'))).toHaveLength(2)
    expect(yamlDiff.filter((l) => l.includes('mac:'))).toHaveLength(2)
    const envDiff = changedLines(repo.git('diff', '--cached', '--no-textconv', 'secrets/app.env'))
    expect(envDiff.filter((l) => /^[-+]B=/.test(l))).toHaveLength(2)
    expect(envDiff.some((l) => /^[-+]A=/.test(l))).toBe(false)
  })

  it('a file sops wrote passes through unchanged, decrypts on checkout, and a value added by hand is encrypted with its data key', () => {
    const fixtures = join(ROOT, 'test', 'fixtures', 'sops', 'humphd')
    const identity = readFileSync(join(fixtures, 'key.txt'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('AGE-SECRET-KEY-'))!
    const recipient = /public key: (age1\S+)/.exec(readFileSync(join(fixtures, 'key.txt'), 'utf8'))![1]!
    const home = newHome()
    home.installKey({ identity, recipient })
    const repo = Repo.init(home)
    const sopsBytes = readFileSync(join(fixtures, 'secret.enc.yaml'))
    // the file's own recipients, all of them in the config: kept as sops wrote it
    const others = [...sopsBytes.toString().matchAll(/recipient: (age1\S+)/g)]
      .map((m) => m[1]!)
      .filter((k) => k !== recipient)
    expect(others).toHaveLength(2)
    const admins = [recipient, ...others].map((k, i) => `        - name: r${i}\n          key: ${k}\n`).join('')
    repo.write(
      '.gitseal.yaml',
      `version: 1\ngroups:\n  dev:\n    recipients:\n      admins:\n${admins}    secrets:\n      app:\n        path: "*.enc.*"\n`,
    )
    expect(repo.seal('sync').status).toBe(0)
    expect(repo.seal('install').status).toBe(0)
    repo.write('secret.enc.yaml', sopsBytes)
    repo.git('add', '.')
    expect(repo.blob(':secret.enc.yaml').equals(sopsBytes)).toBe(true) // migration costs nothing
    repo.git('commit', '-qm', 'from sops')
    repo.run('rm', [join(repo.dir, 'secret.enc.yaml')])
    repo.git('checkout', '--', 'secret.enc.yaml')
    const plain = repo.read('secret.enc.yaml').toString()
    expect(plain).not.toContain('ENC[')
    expect(repo.status()).toBe('')
    // someone adds a value in plaintext to the sops file itself
    const partial = sopsBytes.toString().replace(/^sops:/m, 'added_by_hand: hello\nsops:')
    repo.write('secret.enc.yaml', partial)
    repo.git('add', 'secret.enc.yaml')
    const staged = repo.blob(':secret.enc.yaml').toString()
    expect(staged).toMatch(/added_by_hand: ENC\[AES256_GCM/)
    expect(staged).not.toContain('hello')
  })

  it('a partial sops file without a key to its data key is not proven: stored encrypted whole, refused by the guard', () => {
    const fixtures = join(ROOT, 'test', 'fixtures', 'sops', 'humphd')
    const { repo } = sealedRepo(['*.enc.*'])
    const partial = readFileSync(join(fixtures, 'secret.enc.yaml'), 'utf8').replace(
      /^sops:/m,
      'added: hello-by-hand\nsops:',
    )
    repo.write('secret.enc.yaml', partial)
    const add = repo.tryGit('add', 'secret.enc.yaml')
    expect(add.status, add.stderr).toBe(0)
    expect(add.stderr).toContain('none of your age identities opens its data key')
    expect(repo.blob(':secret.enc.yaml').includes('hello-by-hand')).toBe(false)
    const commit = repo.tryGit('commit', '-qm', 'partial')
    expect(commit.status).not.toBe(0)
    expect(commit.stderr).toContain('secret.enc.yaml holds input that looked like ciphertext but was not proven so')
    expectNoLeak(repo, 'hello-by-hand')
  })

  it('an age-format blob under a sops rule keeps its blob while unchanged; rekey converts it', () => {
    const { repo } = sealedRepo(['secrets/**'])
    repo.write(
      '.gitseal.yaml',
      repo.read('.gitseal.yaml').toString().replace('      main:\n', '      main:\n        format: age\n'),
    )
    repo.write('secrets/app.yaml', YAML)
    repo.git('add', '.')
    repo.git('commit', '-qm', 'as age')
    const ageBlob = repo.blobId('HEAD:secrets/app.yaml')
    repo.write('.gitseal.yaml', repo.read('.gitseal.yaml').toString().replace('        format: age\n', ''))
    repo.git('add', '.gitseal.yaml')
    repo.git('add', 'secrets/app.yaml')
    expect(repo.blobId(':secrets/app.yaml')).toBe(ageBlob)
    const rekey = repo.seal('rekey')
    expect(rekey.status, rekey.stderr).toBe(0)
    expect(rekey.stderr).toContain('converted secrets/app.yaml')
    expect(repo.blob(':secrets/app.yaml').toString()).toContain('ENC[AES256_GCM')
    expect(repo.status()).toMatch(/^M {2}/m)
  })

  it('merges sops files as plaintext; a conflict is readable, stored whole in the binary store, and refused until resolved', () => {
    const { repo } = sealedRepo(['secrets/**'])
    repo.write('secrets/app.yaml', YAML)
    repo.git('add', '.')
    repo.git('commit', '-qm', 'base')
    repo.git('checkout', '-qb', 'feature')
    repo.write('secrets/app.yaml', YAML.replace('user: app', 'user: feature-user'))
    repo.git('commit', '-qam', 'feature')
    repo.git('checkout', '-q', 'main')
    repo.write('secrets/app.yaml', YAML.replace('enabled: true', 'enabled: false'))
    repo.git('commit', '-qam', 'main')
    expect(repo.tryGit('merge', '-q', '--no-edit', 'feature').status).toBe(0)
    expect(repo.read('secrets/app.yaml').toString()).toBe(
      YAML.replace('user: app', 'user: feature-user').replace('enabled: true', 'enabled: false'),
    )
    expect(repo.blob('HEAD:secrets/app.yaml').toString()).toContain('user: ENC[AES256_GCM')

    repo.git('checkout', '-qb', 'other', 'HEAD~1')
    repo.write('secrets/app.yaml', YAML.replace('port: 5432', 'port: 1111'))
    repo.git('commit', '-qam', 'other port')
    repo.git('checkout', '-q', 'main')
    repo.write('secrets/app.yaml', repo.read('secrets/app.yaml').toString().replace('port: 5432', 'port: 2222'))
    repo.git('commit', '-qam', 'main port')
    expect(repo.tryGit('merge', '--no-edit', 'other').status).not.toBe(0)
    const conflicted = repo.read('secrets/app.yaml').toString()
    expect(conflicted).toContain('<<<<<<< ours')
    expect(conflicted).toContain('port: 2222')
    expect(conflicted).toContain('port: 1111')
    const add = repo.tryGit('add', 'secrets/app.yaml')
    expect(add.status).not.toBe(0)
    expect(add.stderr).toContain('still holds conflict markers')
    repo.write('secrets/app.yaml', conflicted.replace(/<{7,} ours\n([\s\S]*?)={7,}\n[\s\S]*?>{7,} theirs\n/, '$1'))
    repo.git('add', 'secrets/app.yaml')
    repo.git('commit', '-qm', 'resolved')
    expect(repo.blob('HEAD:secrets/app.yaml').toString()).toContain('port: ENC[AES256_GCM')
    const objects = repo.git('cat-file', '--batch-all-objects', '--batch')
    expect(objects).not.toMatch(/port: (1111|2222)/)
  })
})
