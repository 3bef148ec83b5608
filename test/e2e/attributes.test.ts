// Attributes under which git rewrites ciphertext (text/eol/crlf, core.autocrlf, ident,
// working-tree-encoding) wherever they come from: a line after git-seal's block, a nested
// .gitattributes, .git/info/attributes. `git add` refuses the secret naming path and attribute,
// checkout keeps it as stored and names it, the guard and status flag it, and with the
// attribute gone everything works again.
import { rmSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { StatusReport } from '../../src/operations/status.js'
import * as rage from '../helpers/rage.js'
import { expectNoLeak, isAgeFile, sealedRepo, type Repo } from '../helpers/repo.js'

const MARKER = 'attr-marker-6a0c1e'
const EDITED = 'attr-edited-93bd55'
/** Plaintext with CRLF pairs and binary bytes: what line-ending rules would touch if they saw it. */
const plaintext = (marker: string): Buffer =>
  Buffer.concat([Buffer.from(`${marker}\r\nline two\r\n`), Buffer.from([0, 13, 10, 255])])

/**
 * Back-dates the work tree's files and refreshes the index, so no entry is racily clean: git
 * would otherwise run clean on them when it next writes the index, and under these attributes
 * clean refuses (as it must: storing would corrupt).
 */
function settle(repo: Repo): void {
  const past = new Date(Date.now() - 60_000)
  for (const path of repo.git('ls-files', '-z').split('\0').filter(Boolean))
    utimesSync(join(repo.dir, path), past, past)
  repo.git('update-index', '-q', '--refresh')
}

function statusOf(repo: Repo): { code: number | null; report: StatusReport } {
  const r = repo.seal('status', '--json')
  return { code: r.status, report: JSON.parse(r.stdout) as StatusReport }
}

interface Scenario {
  name: string
  /** what git-seal must name */
  setting: string
  /** where it must say to change it */
  where: string
  setup(repo: Repo): void
  undo(repo: Repo): void
}

const nested = (line: string): Pick<Scenario, 'setup' | 'undo' | 'where'> => ({
  where: 'secrets/.gitattributes',
  setup: (repo) => {
    repo.write('secrets/.gitattributes', `${line}\n`)
    repo.git('add', 'secrets/.gitattributes')
  },
  // As the hint says: the line goes from that file. (Deleting the file while the index still
  // holds it would not do: check-attr, like git, falls back to the index's copy.)
  undo: (repo) => {
    repo.write('secrets/.gitattributes', '')
    repo.git('add', 'secrets/.gitattributes')
  },
})

const scenarios: Scenario[] = [
  {
    name: "'* text eol=lf' after git-seal's block in the root .gitattributes",
    setting: 'text eol=lf',
    where: "run 'git-seal sync'",
    setup: (repo) => {
      repo.write('.gitattributes', repo.read('.gitattributes').toString() + '* text eol=lf\n')
      repo.git('add', '.gitattributes')
    },
    // The fix the hint names: sync puts the block last again.
    undo: (repo) => {
      const sync = repo.seal('sync')
      expect(sync.status, sync.stderr).toBe(0)
      expect(repo.read('.gitattributes').toString()).toMatch(/\* text eol=lf\n# BEGIN git-seal[\s\S]*# END git-seal\n$/)
      repo.git('add', '.gitattributes')
    },
  },
  { name: "a nested secrets/.gitattributes with '* text'", setting: 'text', ...nested('* text') },
  { name: "a nested .gitattributes with '*.txt ident'", setting: 'ident', ...nested('*.txt ident') },
  {
    name: "a nested .gitattributes with 'working-tree-encoding=UTF-16'",
    setting: 'working-tree-encoding=UTF-16',
    ...nested('*.txt working-tree-encoding=UTF-16'),
  },
  { name: "a nested .gitattributes with '* text=auto'", setting: 'text=auto', ...nested('* text=auto') },
  {
    name: "a nested .gitattributes with '* !text crlf' (the deprecated spelling)",
    setting: 'crlf',
    ...nested('* !text crlf'),
  },
  {
    name: '.git/info/attributes with secrets/** text eol=crlf',
    setting: 'text eol=crlf',
    where: '.git/info/attributes',
    setup: (repo) => writeFileSync(join(repo.dir, '.git', 'info', 'attributes'), 'secrets/** text eol=crlf\n'),
    undo: (repo) => rmSync(join(repo.dir, '.git', 'info', 'attributes')),
  },
  {
    name: "'!text' in a nested .gitattributes with core.autocrlf=true",
    setting: 'core.autocrlf=true',
    where: '!text',
    setup: (repo) => {
      repo.git('config', 'core.autocrlf', 'true')
      nested('* !text').setup(repo)
    },
    undo: (repo) => nested('').undo(repo),
  },
]

describe('attributes that make git rewrite ciphertext', () => {
  it.each(scenarios)(
    '$name: add refuses, checkout keeps as stored, guard and status flag it; undone, all works',
    async (s) => {
      const { repo, key } = sealedRepo(['secrets/**'])
      repo.write('secrets/a.txt', plaintext(MARKER))
      repo.git('add', '.')
      repo.git('commit', '-qm', 'a secret')
      const stored = repo.blobId(':secrets/a.txt')
      settle(repo)
      s.setup(repo)

      // The guard refuses a commit while the attribute applies, though the secret is not staged.
      repo.write('README.md', 'readme\n')
      repo.git('add', 'README.md')
      const commit = repo.tryGit('commit', '-qm', 'readme')
      expect(commit.status).not.toBe(0)
      expect(commit.stderr).toContain(`secrets/a.txt: git would rewrite its ciphertext ('${s.setting}'`)

      // status flags it.
      const before = statusOf(repo)
      expect(before.code).toBe(1)
      expect(
        before.report.secrets
          .find((e) => e.path === 'secrets/a.txt')!
          .problems.map((p) => p.message)
          .join('\n'),
      ).toContain(`'${s.setting}'`)
      if (s.where.includes('git-seal sync'))
        expect(before.report.problems.map((p) => p.message).join('\n')).toContain(
          "git-seal's block is not last in .gitattributes",
        )

      // git add: refused, naming the path, the attribute and where to change it; the index keeps its blob.
      repo.write('secrets/a.txt', plaintext(EDITED))
      const add = repo.tryGit('add', 'secrets/a.txt')
      expect(add.status).not.toBe(0)
      expect(add.stderr).toContain(`secrets/a.txt: git would rewrite its ciphertext ('${s.setting}'`)
      expect(add.stderr).toContain(s.where)
      expect(repo.blobId(':secrets/a.txt')).toBe(stored)

      // checkout: the stored ciphertext, unopened, named with the attribute.
      const checkout = repo.tryGit('checkout', '--', 'secrets/a.txt')
      expect(checkout.status, checkout.stderr).toBe(0)
      expect(checkout.stderr).toContain(`secrets/a.txt: git rewrites it before decryption ('${s.setting}'`)
      expect(repo.read('secrets/a.txt').equals(repo.blob(':secrets/a.txt'))).toBe(true)

      // Undone: checkout decrypts, add encrypts, the commit goes through with ciphertext that opens.
      s.undo(repo)
      rmSync(join(repo.dir, 'secrets', 'a.txt'))
      const again = repo.tryGit('checkout', '--', 'secrets/a.txt')
      expect(again.stderr).not.toContain('kept as stored')
      expect(repo.read('secrets/a.txt').equals(plaintext(MARKER))).toBe(true)
      repo.write('secrets/a.txt', plaintext(EDITED))
      repo.git('add', 'secrets/a.txt')
      repo.git('commit', '-qm', 'edited')
      const blob = repo.blob('HEAD:secrets/a.txt')
      expect(isAgeFile(blob)).toBe(true)
      expect(Buffer.from(await rage.decrypt_with_x25519(key.identity, blob)).equals(plaintext(EDITED))).toBe(true)
      const after = statusOf(repo)
      expect(after.report.secrets.flatMap((e) => e.problems)).toEqual([])
      expect(after.code).toBe(0)
      expectNoLeak(repo, MARKER)
      expectNoLeak(repo, EDITED)
    },
  )

  it('the one-shot clean and smudge check the same (filter.git-seal.process unset)', () => {
    const { repo } = sealedRepo(['secrets/**'])
    repo.write('secrets/a.txt', plaintext(MARKER))
    repo.git('add', '.')
    repo.git('commit', '-qm', 'a secret')
    repo.git('config', '--unset', 'filter.git-seal.process')
    settle(repo)
    repo.write('secrets/.gitattributes', '* text eol=lf\n')
    repo.write('secrets/a.txt', plaintext(EDITED))
    const add = repo.tryGit('add', 'secrets/a.txt')
    expect(add.status).not.toBe(0)
    expect(add.stderr).toContain("secrets/a.txt: git would rewrite its ciphertext ('text eol=lf'")
    expect(add.stderr).toContain('secrets/.gitattributes sets it')
    const checkout = repo.tryGit('checkout', '--', 'secrets/a.txt')
    expect(checkout.status, checkout.stderr).toBe(0)
    expect(checkout.stderr).toContain("secrets/a.txt: git rewrites it before decryption ('text eol=lf'")
    expect(isAgeFile(repo.read('secrets/a.txt'))).toBe(true)
    rmSync(join(repo.dir, 'secrets', '.gitattributes'))
    rmSync(join(repo.dir, 'secrets', 'a.txt'))
    repo.git('checkout', '--', 'secrets/a.txt')
    expect(repo.read('secrets/a.txt').equals(plaintext(MARKER))).toBe(true)
    expectNoLeak(repo, MARKER)
    expectNoLeak(repo, EDITED)
  })

  it('leaves secrets alone under -text: core.autocrlf=true, a text line before the block, eol without text', async () => {
    const { repo, key } = sealedRepo(['secrets/**'])
    repo.git('config', 'core.autocrlf', 'true')
    repo.write(
      '.gitattributes',
      '* text eol=crlf ident\n*.txt working-tree-encoding=UTF-16\n' + repo.read('.gitattributes').toString(),
    )
    repo.write('secrets/.gitattributes', '* eol=crlf\n')
    repo.write('secrets/a.txt', plaintext(MARKER))
    repo.git('add', '.')
    repo.git('commit', '-qm', 'a secret')
    expect(
      Buffer.from(await rage.decrypt_with_x25519(key.identity, repo.blob('HEAD:secrets/a.txt'))).equals(
        plaintext(MARKER),
      ),
    ).toBe(true)
    expect(statusOf(repo).report.secrets.flatMap((e) => e.problems)).toEqual([])
    expectNoLeak(repo, MARKER)
  })
})

describe('verify judges the attributes of each commit', () => {
  it('a commit whose tree adds `* text eol=lf` after the block is named, by range and in HEAD; history before it passes', () => {
    const { repo } = sealedRepo()
    repo.write('secrets/app.txt', plaintext(MARKER))
    repo.git('add', '-A')
    repo.git('commit', '-qm', 'secret')
    expect(repo.seal('verify').status).toBe(0)
    const before = repo.git('rev-parse', 'HEAD').trim()
    // A clone without git-seal (or --no-verify) commits the attribute line and touches the secret.
    settle(repo) // no racily clean entry for git to re-clean under the new attributes
    const attributes = `${repo.read('.gitattributes').toString()}* text eol=lf\n`
    repo.write('.gitattributes', attributes)
    repo.stageRaw('.gitattributes', attributes)
    repo.git('commit', '-qm', 'normalize line endings', '--no-verify')
    const range = repo.seal('verify', `${before}..HEAD`)
    expect(range.status).toBe(0) // the secret did not change in that commit: nothing to judge there
    repo.stageRaw('secrets/other.txt', repo.blob('HEAD:secrets/app.txt'))
    repo.git('commit', '-qm', 'another secret under the attribute', '--no-verify')
    const second = repo.seal('verify', `${before}..HEAD`)
    expect(second.status).toBe(1)
    expect(second.stderr).toContain("secrets/other.txt: 'text eol=lf' rewrites")
    expect(second.stderr).toContain("'git-seal sync' keeps the block last")
    const head = repo.seal('verify')
    expect(head.status).toBe(1)
    expect(head.stderr).toContain('secrets/app.txt')
    expect(repo.seal('verify', `${before}~1..${before}`).status).toBe(0)
    expectNoLeak(repo, MARKER)
  })
})
