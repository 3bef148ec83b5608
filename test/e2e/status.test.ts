// `git-seal status --json`: the state of every secret path, and the problems to fix.
import { describe, expect, it } from 'vitest'
import type { StatusReport } from '../../src/operations/status.js'
import { newKey, sealedRepo, simpleConfig } from '../helpers/repo.js'

function status(repo: ReturnType<typeof sealedRepo>['repo']): { code: number | null; report: StatusReport } {
  const r = repo.seal('status', '--json')
  return { code: r.status, report: JSON.parse(r.stdout) as StatusReport }
}

describe('status', () => {
  it('reports ciphertext, decryptability, recipients and no problems on a healthy repo', () => {
    const { repo } = sealedRepo(['secrets/**'])
    repo.write('secrets/a.txt', 'a\n')
    repo.write('secrets/b.yaml', 'k: v\n')
    repo.git('add', '.')
    repo.git('commit', '-qm', 'ab')
    const { code, report } = status(repo)
    expect(code).toBe(0)
    expect(report.problems).toEqual([])
    expect(
      report.secrets.map((s) => [
        s.path,
        s.secret,
        s.group,
        s.format,
        s.index,
        s.decryptable,
        s.recipients,
        s.problems,
      ]),
    ).toEqual([
      ['secrets/a.txt', 'main', 'dev', 'age', 'ciphertext', true, ['alice'], []],
      ['secrets/b.yaml', 'main', 'dev', 'sops', 'ciphertext', true, ['alice'], []],
    ])
  })

  it('flags plaintext staged, a stale .gitattributes, untracked secrets, and recipients that differ from the config', () => {
    const { repo, key } = sealedRepo(['secrets/**'])
    repo.write('secrets/b.yaml', 'k: v\n')
    repo.git('add', '.')
    repo.git('commit', '-qm', 'b')
    repo.stageRaw('secrets/leak.txt', 'leak\n')
    repo.write('secrets/untracked.txt', 'u\n')
    // a second admin appears in the config (as if merged from another branch) without a rekey
    const bob = newKey()
    repo.write(
      '.gitseal.yaml',
      simpleConfig(
        ['secrets/**', 'more/**'],
        [
          { name: 'alice', key: key.recipient },
          { name: 'bob', key: bob.recipient },
        ],
      ),
    )
    const { code, report } = status(repo)
    expect(code).toBe(1)
    expect(report.problems.map((p) => p.message).join('\n')).toContain('.gitattributes does not match .gitseal.yaml')
    const byPath = Object.fromEntries(report.secrets.map((s) => [s.path, s]))
    expect(byPath['secrets/leak.txt']!.index).toBe('plaintext')
    expect(byPath['secrets/leak.txt']!.problems.map((p) => p.message).join()).toContain('staged in plaintext')
    expect(byPath['secrets/untracked.txt']!.index).toBe('absent')
    expect(byPath['secrets/b.yaml']!.problems.map((p) => p.message).join()).toContain(
      'not yet encrypted to 1 configured recipient',
    )
    expect(byPath['secrets/b.yaml']!.recipients).toEqual(['alice', 'bob'])
  })

  it('tells a missing filter from config an older version wrote, and install repairs both', () => {
    const { repo } = sealedRepo(['secrets/**'])
    expect(status(repo).code).toBe(0)
    // the textconv row as the previous version wrote it: still works, but not what install writes now
    repo.git('config', 'diff.git-seal.textconv', '"$(git rev-parse --git-common-dir)/git-seal/git-seal" textconv')
    let { code, report } = status(repo)
    expect(code).toBe(1)
    expect(report.problems.map((p) => p.message).join('\n')).toContain(
      'written by another version (diff.git-seal.textconv)',
    )
    repo.git('config', '--unset', 'filter.git-seal.process')
    ;({ code, report } = status(repo))
    expect(report.problems.map((p) => p.message).join('\n')).toContain(
      'not installed in this clone (filter.git-seal.process)',
    )
    expect(repo.seal('install').status).toBe(0)
    ;({ code, report } = status(repo))
    expect(code).toBe(0)
    expect(report.problems).toEqual([])
  })

  it('a keyless clone: ciphertext, not decryptable, no problem', () => {
    const { repo } = sealedRepo(['secrets/**'], { withKey: false })
    repo.write('secrets/a.txt', 'a\n')
    repo.git('add', '.')
    repo.git('commit', '-qm', 'a')
    const { report } = status(repo)
    expect(report.secrets[0]).toMatchObject({
      path: 'secrets/a.txt',
      index: 'ciphertext',
      decryptable: false,
      problems: [],
    })
  })
})

describe('recipients and verify report what the config does not say', () => {
  it('recipients --json lists who reads which secret, by group', () => {
    const { repo } = sealedRepo(['secrets/**'])
    const r = repo.seal('recipients', '--json')
    expect(r.status, r.stderr).toBe(0)
    const data = JSON.parse(r.stdout) as {
      groups: {
        name: string
        recipients: { name: string; role: string; type: string; fingerprint: string; secrets: string[] }[]
      }[]
    }
    expect(data.groups).toHaveLength(1)
    expect(data.groups[0]!.recipients).toEqual([
      {
        name: 'alice',
        role: 'admin',
        type: 'x25519',
        key: expect.stringMatching(/^age1/),
        fingerprint: expect.stringMatching(/^[\w-]{10}$/),
        person: false,
        secrets: ['main'],
      },
    ])
  })

  it('verify reports (and does not reject) a sops file encrypted to a recipient the config does not name', () => {
    const { repo, key } = sealedRepo(['secrets/**'])
    const mallory = newKey()
    repo.write(
      '.gitseal.yaml',
      simpleConfig(
        ['secrets/**'],
        [
          { name: 'alice', key: key.recipient },
          { name: 'mallory', key: mallory.recipient },
        ],
      ),
    )
    repo.write('secrets/app.yaml', 'k: v\n')
    repo.git('add', 'secrets/app.yaml')
    repo.write('.gitseal.yaml', simpleConfig(['secrets/**'], [{ name: 'alice', key: key.recipient }]))
    repo.git('commit', '-qm', 'sneaky')
    const verify = repo.seal('verify')
    expect(verify.status).toBe(0)
    expect(verify.stderr).toContain('secrets/app.yaml is encrypted to 1 recipient(s) the config does not name')
  })
})
