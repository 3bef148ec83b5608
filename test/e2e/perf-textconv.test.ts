// The sh textconv driver with real git: same output as the Node textconv for every kind of
// input, Node started only for ciphertext, linked worktrees and submodules still find it.
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BUNDLE, Repo, expectNoLeak, newHome, sealedRepo, tempDir } from '../helpers/repo.js'

const MARKER = 'textconv-marker-5b1f'

/** Wraps the installed launcher so every call is recorded (its first argument: the command). */
function recordLauncher(repo: Repo, cwd = repo.dir): () => string[] {
  const common = spawnSync('git', ['rev-parse', '--path-format=absolute', '--git-common-dir'], { cwd, env: repo.env })
    .stdout.toString()
    .trim()
  const launcher = join(common, 'git-seal', 'git-seal')
  const record = join(tempDir(), 'calls')
  renameSync(launcher, `${launcher}.real`)
  writeFileSync(launcher, `#!/bin/sh\necho "$1" >> '${record}'\nexec '${launcher}.real' "$@"\n`)
  chmodSync(launcher, 0o755)
  return () => (existsSync(record) ? readFileSync(record, 'utf8').trim().split('\n') : [])
}

/** Runs the registered textconv as git does (through sh, the file appended). */
function registeredTextconv(repo: Repo, file: string, cwd = repo.dir): Buffer {
  const command = repo.git('config', 'diff.git-seal.textconv').trim()
  const r = spawnSync('sh', ['-c', `${command} "$@"`, 'sh', file], { cwd, env: repo.env })
  expect(r.status, r.stderr.toString()).toBe(0)
  return r.stdout
}

function nodeTextconv(repo: Repo, file: string): Buffer {
  const r = spawnSync(process.execPath, [BUNDLE, 'textconv', file], { cwd: repo.dir, env: repo.env })
  expect(r.status, r.stderr.toString()).toBe(0)
  return r.stdout
}

describe('textconv in sh', () => {
  it('prints what the Node textconv prints, for plaintext, age, armor, sops and look-alikes, with and without a key', () => {
    const { repo } = sealedRepo()
    repo.write('secrets/a.txt', `${MARKER} age\n`)
    repo.write('secrets/b.yaml', `token: ${MARKER}\n`)
    repo.git('add', '.')
    repo.git('commit', '-qm', 'secrets')
    const dir = tempDir()
    const inputs: Record<string, Buffer> = {
      plaintext: Buffer.from(`${MARKER} plain\r\nline 2\n`),
      binary: Buffer.from([0, 1, 2, 255, 0xa0, 10, 13]),
      'age blob': repo.blob('HEAD:secrets/a.txt'),
      'age blob with text appended': Buffer.concat([repo.blob('HEAD:secrets/a.txt'), Buffer.from('appended\n')]),
      'sops blob': repo.blob('HEAD:secrets/b.yaml'),
      'armor look-alike': Buffer.from(
        '  \n-----BEGIN AGE ENCRYPTED FILE-----\nnot base64\n-----END AGE ENCRYPTED FILE-----\n',
      ),
      'sops value without sops': Buffer.from('a: ENC[AES256_GCM,data:x]\n'),
      'magic mid-file': Buffer.from('hello age-encryption.org/v1\n'),
    }
    for (const [name, bytes] of Object.entries(inputs))
      writeFileSync(join(dir, `${name.replace(/ /g, '-')}.yaml`), bytes)
    const home = newHome() // no key
    const keyless = new Repo(repo.dir, home, { ...home.env })
    for (const r of [repo, keyless]) {
      for (const name of Object.keys(inputs)) {
        const file = join(dir, `${name.replace(/ /g, '-')}.yaml`)
        expect(registeredTextconv(r, file).toString('latin1'), `${name} (${r === repo ? 'key' : 'no key'})`).toBe(
          nodeTextconv(r, file).toString('latin1'),
        )
      }
    }
    expect(nodeTextconv(repo, join(dir, 'age-blob.yaml')).toString()).toBe(`${MARKER} age\n`)
    expectNoLeak(repo, MARKER)
  })

  it('git log -p starts no Node for plaintext sides, and Node for ciphertext ones (a locked clone)', () => {
    const { repo } = sealedRepo()
    for (let i = 0; i < 3; i++) {
      repo.write('secrets/a.txt', `${MARKER} v${i}\n`)
      repo.git('add', '.')
      repo.git('commit', '-qm', `v${i}`)
    }
    const calls = recordLauncher(repo)
    const log = repo.git('log', '-p')
    expect(log).toContain(`+${MARKER} v2`)
    expect(log).toContain(`-${MARKER} v1`)
    expect(calls().filter((c) => c === 'textconv')).toEqual([])
    // Locked: the filter leaves ciphertext, so every side goes to the Node textconv, which decrypts.
    expect(repo.seal('lock').status).toBe(0)
    const locked = repo.git('log', '-p')
    expect(locked).toContain(`+${MARKER} v2`)
    expect(calls().filter((c) => c === 'textconv').length).toBeGreaterThan(0)
    expectNoLeak(repo, MARKER)
  })

  it("the ciphertext path runs from textconv's own entry (dist/textconv.mjs), without the CLI's", () => {
    const { repo } = sealedRepo()
    repo.write('secrets/a.txt', `${MARKER} entry\n`)
    repo.git('add', '.')
    repo.git('commit', '-qm', 'a')
    expect(repo.seal('lock').status).toBe(0)
    const dist = join(repo.dir, '.git', 'git-seal', 'dist')
    renameSync(join(dist, 'git-seal.mjs'), join(dist, 'git-seal.mjs.away'))
    expect(repo.git('log', '-p', '-1')).toContain(`+${MARKER} entry`)
    renameSync(join(dist, 'git-seal.mjs.away'), join(dist, 'git-seal.mjs'))
    expectNoLeak(repo, MARKER)
  })

  it('finds the launcher through the common dir in a linked worktree and a submodule (ciphertext sides)', () => {
    const { repo: sub } = sealedRepo()
    sub.write('secrets/a.txt', 'v1\n')
    sub.git('add', '.')
    sub.git('commit', '-qm', 'v1')
    sub.write('secrets/a.txt', 'v2\n')
    sub.git('add', '.')
    sub.git('commit', '-qm', 'v2')
    // A clone without the key: the diff sides are ciphertext, so the Node textconv must be found.
    const home = newHome()
    const cloneDir = join(tempDir(), 'clone')
    expect(spawnSync('git', ['clone', '-q', sub.dir, cloneDir], { env: home.env }).status).toBe(0)
    const clone = new Repo(cloneDir, home)
    expect(clone.seal('install').status).toBe(0)
    const wt = join(tempDir(), 'wt')
    clone.git('worktree', 'add', '-q', wt, '-b', 'other')
    const inWorktree = clone.run('git', ['log', '-p', '-1'], { cwd: wt })
    expect(inWorktree.stdout).toMatch(/\[git-seal: age file for X25519.*no key here to decrypt it\]/)

    const top = Repo.init(home)
    top.write('README', 'top\n')
    top.git('add', '.')
    top.git('commit', '-qm', 'top')
    top.git('-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', cloneDir, 'vendor/sub')
    const subDir = join(top.dir, 'vendor', 'sub')
    expect(top.run(process.execPath, [BUNDLE, 'install'], { cwd: subDir }).status).toBe(0)
    const inSubmodule = top.run('git', ['log', '-p', '-1'], { cwd: subDir })
    expect(inSubmodule.stdout).toMatch(/\[git-seal: age file for X25519.*no key here to decrypt it\]/)
  })
})
