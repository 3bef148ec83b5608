// Output a person can trust, with real git: status names extra and missing recipients with
// stable codes, flags a file stored in the wrong format, answers for one PATH; verify --json;
// colour and alignment only on a terminal; merge markers named by git's labels; init, install,
// unlock -i and dotenv values that say what is wrong.
import { spawnSync } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { decrypt, parseIdentity } from '../../src/age/index.js'
import { sideLabels } from '../../src/operations/merge.js'
import type { StatusReport } from '../../src/operations/status.js'
import { BUNDLE, Repo, expectNoLeak, newHome, newKey, sealedRepo, simpleConfig, tempDir } from '../helpers/repo.js'

const MARKER = 'trust-marker-2b7'
const hasScript = spawnSync('script', ['--version']).status === 0

function status(repo: Repo, ...args: string[]): { code: number | null; report: StatusReport } {
  const r = repo.seal('status', '--json', ...args)
  return { code: r.status, report: JSON.parse(r.stdout) as StatusReport }
}

/** Runs git-seal under a pseudo-terminal (util-linux `script`), as a person at a terminal would. */
function onTerminal(repo: Repo, args: string, env: NodeJS.ProcessEnv = repo.env): string {
  const r = spawnSync('script', ['-qec', `${process.execPath} ${BUNDLE} ${args}`, '/dev/null'], { cwd: repo.dir, env })
  return r.stdout.toString('utf8')
}

describe('status and recipients name what is wrong', () => {
  it('extra and missing recipients are named per problem, with stable codes; status PATH answers for one file', () => {
    const { repo, key } = sealedRepo(['secrets/**'])
    const mallory = newKey()
    // a sops file encrypted for mallory too (the config named her when it was added)
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
    repo.write('secrets/app.yaml', `token: ${MARKER}\n`)
    repo.write('secrets/a.txt', `${MARKER} a\n`)
    repo.git('add', 'secrets')
    const bob = newKey()
    repo.write(
      '.gitseal.yaml',
      simpleConfig(
        ['secrets/**'],
        [
          { name: 'alice', key: key.recipient },
          { name: 'bob', key: bob.recipient },
        ],
      ),
    )
    repo.git('commit', '-qm', 'mixed', '--no-verify')
    const { code, report } = status(repo, 'secrets/app.yaml')
    expect(code).toBe(1)
    expect(report.secrets.map((s) => s.path)).toEqual(['secrets/app.yaml'])
    const problems = report.secrets[0]!.problems
    expect(problems.map((p) => p.code)).toEqual(['extra-recipients', 'missing-recipients'])
    expect(problems[0]!.message).toContain(
      `the config does not name for it: ${mallory.recipient.slice(0, 20)}… (declared)`,
    )
    expect(problems[1]!.message).toContain('not yet encrypted to 1 configured recipient(s): bob;')
    // the age file: this clone wrote it for mallory (its records say so) ...
    const age = status(repo, 'secrets/a.txt').report.secrets[0]!
    expect(age.problems.find((p) => p.code === 'extra-recipients')!.message).toContain(
      `${mallory.recipient.slice(0, 20)}… (verified)`,
    )
    expect(age.problems.find((p) => p.code === 'missing-recipients')!.message).toContain(': bob;')
    // ... and a fresh clone reads it from the declaration, by a fingerprint the config no longer has
    const dir = join(tempDir(), 'clone')
    expect(spawnSync('git', ['clone', '-q', repo.dir, dir], { env: repo.env }).status).toBe(0)
    const clone = new Repo(dir, repo.home)
    expect(clone.seal('install').status).toBe(0)
    const declared = status(clone, 'secrets/a.txt').report.secrets[0]!
    expect(declared.problems.find((p) => p.code === 'extra-recipients')!.message).toMatch(
      /the config does not name for it: fingerprint:[0-9a-f]{16} \(declared\)/,
    )
    // recipients PATH answers "who can read this file?"
    const who = repo.seal('recipients', 'secrets/app.yaml')
    expect(who.stdout).toContain('secrets/app.yaml: secret main (group dev), sops, stored')
    expect(who.stdout).toMatch(/alice\tadmin\tx25519\tverified \(your key opens it\)/)
    expect(who.stdout).toMatch(/age1\S+\tnot configured\tx25519\tdeclared/)
    expect(who.stdout).toMatch(/bob\tadmin\tx25519\tmissing: not encrypted to them yet/)
    expect(repo.seal('status', 'nothing/here.txt').stderr).toContain('not a secret')
    expectNoLeak(repo, MARKER)
  })

  it('a file stored in another format than the config says is flagged', () => {
    const { repo, key } = sealedRepo(['secrets/**'])
    repo.write('secrets/app.yaml', `token: ${MARKER}\n`)
    repo.git('add', '.')
    repo.git('commit', '-qm', 'sops')
    repo.write(
      '.gitseal.yaml',
      simpleConfig(['secrets/**'], [{ name: 'alice', key: key.recipient }], '        format: age'),
    )
    const s = status(repo).report.secrets[0]!
    expect(s.problems.map((p) => [p.code, p.message])).toEqual([
      ['wrong-format', "stored as sops, configured as age: run 'git-seal rekey'"],
    ])
  })

  it('verify --json: the findings with stable codes, and the same exit status', () => {
    const { repo } = sealedRepo(['secrets/**'])
    repo.write('secrets/a.txt', `${MARKER}\n`)
    repo.git('add', '.')
    repo.git('commit', '-qm', 'a')
    let r = repo.seal('verify', '--json')
    expect(r.status).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ scope: 'HEAD', ok: true, files: 1, findings: [] })
    repo.stageRaw('secrets/b.txt', 'plain\n')
    repo.git('commit', '-qm', 'leak', '--no-verify')
    r = repo.seal('verify', '--json', 'HEAD~1..HEAD')
    expect(r.status).toBe(1)
    const out = JSON.parse(r.stdout) as { ok: boolean; findings: { code: string; path: string; message: string }[] }
    expect(out.ok).toBe(false)
    expect(out.findings.map((f) => [f.code, f.path])).toEqual([['plaintext', 'secrets/b.txt']])
    expect(out.findings[0]!.message).toContain('holds a secret in plaintext')
    expect(r.stderr).toBe('')
  })
})

describe('colour and columns on a terminal only', () => {
  it('pipes get tab-separated lines without escapes', () => {
    const { repo } = sealedRepo(['secrets/**'])
    repo.write('secrets/a.txt', 'a\n')
    repo.write('secrets/longer-name.txt', 'b\n')
    repo.git('add', '.')
    repo.git('commit', '-qm', 'ab')
    const piped = repo.seal('status').stdout
    expect(piped).not.toContain('\x1b[')
    expect(piped).toContain('secrets/a.txt\tmain (dev)\tage\t')
  })

  it.runIf(hasScript)('a terminal gets aligned columns and colour, unless NO_COLOR is set', () => {
    const { repo } = sealedRepo(['secrets/**'])
    repo.write('secrets/a.txt', 'a\n')
    repo.write('secrets/longer-name.txt', 'b\n')
    repo.git('add', '.')
    repo.git('commit', '-qm', 'ab')
    const tty = onTerminal(repo, 'status')
    expect(tty).toContain('\x1b[32myes\x1b[0m')
    expect(tty).toMatch(/secrets\/a\.txt {12}main \(dev\) {2}age/)
    const plain = onTerminal(repo, 'status', { ...repo.env, NO_COLOR: '1' })
    expect(plain).not.toContain('\x1b[')
    expect(plain).toMatch(/secrets\/a\.txt {12}main \(dev\) {2}age/)
  })
  it.runIf(!hasScript)('a terminal gets colour (skipped: util-linux `script` is not on PATH)', () => {
    console.log('skipped: `script` is not installed to give git-seal a terminal')
    expect(hasScript).toBe(false)
  })
})

describe("merge markers name git's sides", () => {
  it('unexpanded placeholders (git before 2.44) fall back to ours/base/theirs', () => {
    expect(sideLabels(['%S', '%X', '%Y'])).toEqual({ base: 'base', ours: 'ours', theirs: 'theirs' })
    expect(sideLabels([])).toEqual({ base: 'base', ours: 'ours', theirs: 'theirs' })
    expect(sideLabels(['merged common ancestors', 'HEAD', 'feature'])).toEqual({
      base: 'merged common ancestors',
      ours: 'HEAD',
      theirs: 'feature',
    })
  })

  it('the driver writes the labels git gives it into the markers (as git 2.44+ passes %S %X %Y)', () => {
    const { repo, key } = sealedRepo()
    const lines = (n: string) => `one\ntwo ${n}\nthree\n`
    const versions: string[] = []
    for (const side of ['base', 'ours', 'theirs']) {
      repo.write('secrets/c.txt', lines(`${MARKER} ${side}`))
      repo.git('add', 'secrets/c.txt')
      versions.push(repo.blob(':secrets/c.txt').toString('latin1'))
    }
    const dir = tempDir()
    const files = ['O', 'A', 'B'].map((n, i) => {
      const f = join(dir, n)
      writeFileSync(f, Buffer.from(versions[i]!, 'latin1'))
      return f
    })
    const r = repo.seal(
      'merge',
      files[0]!,
      files[1]!,
      files[2]!,
      '7',
      'secrets/c.txt',
      'merged common ancestors',
      'HEAD',
      'feature',
    )
    expect(r.status).toBe(1)
    const merged = Buffer.from(decrypt(readFileSync(files[1]!), [parseIdentity(key.identity)])).toString()
    expect(merged).toContain('<<<<<<<< HEAD\n')
    expect(merged).toContain('>>>>>>>> feature\n')
    // with real git here (2.39 passes the placeholders unexpanded) the markers keep their generic names
    const config = repo.git('config', 'merge.git-seal.driver')
    expect(config).toContain('merge %O %A %B %L %P %S %X %Y')
    rmSync(dir, { recursive: true, force: true })
  })
})

describe('first-contact messages', () => {
  it('init --from-sops refuses when .gitseal.yaml exists; install without one says so', () => {
    const { repo } = sealedRepo()
    repo.write('.sops.yaml', 'creation_rules:\n  - path_regex: secrets/.*\n    age: age1xyz\n')
    const init = repo.seal('init', '--from-sops')
    expect(init.status).toBe(1)
    expect(init.stderr).toContain('.gitseal.yaml already exists, so --from-sops would not import .sops.yaml')
    const bare = Repo.init(newHome())
    const install = bare.seal('install')
    expect(install.status).toBe(0)
    expect(install.stderr).toContain('this repository has no .gitseal.yaml')
    expect(install.stderr).toContain("run 'git-seal init'")
  })

  it('unlock -i KEYFILE decrypts with that identity for this run', () => {
    const { repo, key } = sealedRepo()
    repo.write('secrets/a.txt', `${MARKER}\n`)
    repo.git('add', '.')
    repo.git('commit', '-qm', 'a')
    expect(repo.seal('lock').status).toBe(0)
    rmSync(join(repo.home.dir, '.config', 'sops', 'age', 'keys.txt'))
    expect(repo.seal('unlock').status).toBe(1)
    const keyFile = join(tempDir(), 'backup.txt')
    writeFileSync(keyFile, `${key.identity}\n`, { mode: 0o600 })
    const r = repo.seal('unlock', '-i', keyFile)
    expect(r.status, r.stderr).toBe(0)
    expect(repo.read('secrets/a.txt').toString()).toBe(`${MARKER}\n`)
    expect(repo.status()).toBe('')
    expect(repo.seal('unlock', '-i', join(tempDir(), 'missing.txt')).stderr).toContain('cannot read the identity file')
    expectNoLeak(repo, MARKER)
  })

  it('a multi-line dotenv value is refused with the two ways out', () => {
    const { repo } = sealedRepo(['*.env'])
    repo.write('app.env', `A=1\nCERT="-----BEGIN-----\n${MARKER}\n-----END-----"\n`)
    const add = repo.tryGit('add', 'app.env')
    expect(add.status).not.toBe(0)
    expect(add.stderr).toContain('the value of CERT spans lines 2 to 4')
    expect(add.stderr).toContain("set 'format: age' for this secret")
    expect(add.stderr).toContain('on one line with \\n for each line break')
    expect(repo.git('ls-files')).not.toContain('app.env')
    // with 'format: age' the same file is stored whole
    repo.write('.gitseal.yaml', readFileSync(join(repo.dir, '.gitseal.yaml'), 'utf8') + '        format: age\n')
    expect(repo.tryGit('add', 'app.env').status).toBe(0)
    expectNoLeak(repo, MARKER)
  })
})
