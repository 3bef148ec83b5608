// The fault matrix: a filter that cannot start or dies, damaged blobs, hostile protocol input,
// and everyday git workflows, each followed by a scan for plaintext in the object database.
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { encrypt, parseRecipient } from '../../src/age/index.js'
import { SealContext } from '../../src/seal/context.js'
import { smudgeFile } from '../../src/seal/smudge.js'
import { BUNDLE, Repo, isAgeFile, newHome, newKey, sealedRepo, simpleConfig, tempDir } from '../helpers/repo.js'

const MARKER = 'PLAINTEXT-MARKER-7f3a'

/** Every object git-seal could have written, searched for the marker. */
function expectNoPlaintext(repo: Repo): void {
  const all = spawnSync('git', ['cat-file', '--batch-all-objects', '--batch'], {
    cwd: repo.dir,
    env: repo.env,
    maxBuffer: 1 << 30,
  }).stdout
  expect(all.includes(MARKER)).toBe(false)
}

describe('a filter that cannot start', () => {
  it('a deleted bundle: git says what is missing and how to recover; install repairs it', () => {
    const { repo } = sealedRepo()
    repo.write('secrets/a.txt', `${MARKER}\n`)
    repo.git('add', '.')
    repo.git('commit', '-qm', 'a')
    // every entry: git starts the filter from hot.cjs (code-cached), hot.mjs without it, and from git-seal.mjs without either
    for (const entry of ['git-seal.mjs', 'hot.mjs', 'hot.cjs'])
      rmSync(join(repo.dir, '.git', 'git-seal', 'dist', entry))
    rmSync(join(repo.dir, 'secrets', 'a.txt'))
    const checkout = repo.tryGit('checkout', '--', 'secrets/a.txt')
    expect(checkout.status).not.toBe(0)
    expect(checkout.stderr).toContain('git-seal.mjs is missing')
    expect(checkout.stderr).toContain("run 'npx git-seal install' again")
    expect(repo.seal('install').status).toBe(0)
    repo.git('checkout', '--', 'secrets/a.txt')
    expect(repo.read('secrets/a.txt').toString()).toBe(`${MARKER}\n`)
    expectNoPlaintext(repo)
  })

  it('node gone from its recorded place and from PATH: a clear message', () => {
    const { repo } = sealedRepo()
    const launcher = join(repo.dir, '.git', 'git-seal', 'git-seal')
    writeFileSync(launcher, readFileSync(launcher, 'utf8').replace(/^node='.*'$/m, "node='/nonexistent/node'"))
    const bin = tempDir()
    for (const tool of ['git', 'sh', 'dirname']) {
      const found = spawnSync('sh', ['-c', `command -v ${tool}`])
        .stdout.toString()
        .trim()
      symlinkSync(found, join(bin, tool))
    }
    repo.write('secrets/b.txt', `${MARKER}\n`)
    const add = repo.run('git', ['add', 'secrets/b.txt'], { env: { ...repo.env, PATH: bin } })
    expect(add.status).not.toBe(0)
    expect(add.stderr).toContain('node not found')
    expect(add.stderr).toContain('install Node.js')
    expect(repo.git('ls-files', 'secrets/b.txt')).toBe('')
    expectNoPlaintext(repo)
  })
})

describe('a filter killed mid-request', () => {
  it('during clean: git add fails, nothing is staged, and the next command works', () => {
    const { repo } = sealedRepo()
    repo.write('secrets/a.txt', `${MARKER}\n`)
    const add = repo.run('git', ['add', 'secrets/a.txt'], {
      env: { ...repo.env, GIT_SEAL_TEST_FAULT: 'kill-in-clean' },
    })
    expect(add.status).not.toBe(0)
    expect(repo.git('ls-files', 'secrets/a.txt')).toBe('')
    expectNoPlaintext(repo)
    repo.git('add', 'secrets/a.txt')
    expect(isAgeFile(repo.blob(':secrets/a.txt'))).toBe(true)
  })

  it('during smudge: the checkout reports the file and can be run again', () => {
    const { repo } = sealedRepo()
    repo.write('secrets/a.txt', `${MARKER}\n`)
    repo.git('add', '.')
    repo.git('commit', '-qm', 'a')
    rmSync(join(repo.dir, 'secrets', 'a.txt'))
    const checkout = repo.run('git', ['checkout', '--', 'secrets/a.txt'], {
      env: { ...repo.env, GIT_SEAL_TEST_FAULT: 'kill-in-smudge' },
    })
    expect(checkout.status).not.toBe(0)
    expect(checkout.stderr).toContain('secrets/a.txt')
    repo.git('checkout', '--', 'secrets/a.txt')
    expect(repo.read('secrets/a.txt').toString()).toBe(`${MARKER}\n`)
  })
})

describe('damaged blobs', () => {
  it('every single-byte flip and every truncation of a small age file: kept as stored, never partial plaintext', async () => {
    const key = newKey()
    const home = newHome()
    home.installKey(key)
    const repo = Repo.init(home)
    repo.write('.gitseal.yaml', simpleConfig(['*.secret'], [{ name: 'alice', key: key.recipient }]))
    const plaintext = Buffer.from(`${MARKER} value\n`)
    const blob = Buffer.from(encrypt(plaintext, [parseRecipient(key.recipient)]))
    const ctx = SealContext.open(repo.dir, home.env)
    try {
      const variants: Buffer[] = []
      for (let i = 0; i < blob.length; i++) {
        const flipped = Buffer.from(blob)
        flipped[i]! ^= 0x01
        variants.push(flipped)
      }
      for (let n = 0; n < blob.length; n++) variants.push(blob.subarray(0, n))
      for (const variant of variants) {
        async function* once() {
          if (variant.length) yield variant
        }
        const out = Buffer.concat([...(await smudgeFile(ctx, 'x.secret', once()))])
        expect(out.equals(variant)).toBe(true)
      }
      // every variant is named, except the empty truncation: the empty blob of an empty secret
      expect(ctx.report.kept.length).toBe(variants.length - 1)
    } finally {
      ctx.close()
    }
  })
})

describe('damaged sops files', () => {
  it('every single-byte flip of a small sops file: the stored bytes, or the whole plaintext, never a part', async () => {
    const { repo, key } = sealedRepo(['*.yaml'])
    const plaintext = `api: ${MARKER}-api\nport: 8080\n`
    repo.write('app.yaml', plaintext)
    repo.git('add', 'app.yaml')
    const blob = repo.blob(':app.yaml')
    const home = newHome()
    home.installKey(key)
    const ctx = SealContext.open(repo.dir, home.env)
    try {
      let kept = 0
      for (let i = 0; i < blob.length; i += 3) {
        const damaged = Buffer.from(blob)
        damaged[i]! ^= 0x01
        async function* once() {
          yield damaged
        }
        const out = Buffer.concat([...(await smudgeFile(ctx, 'app.yaml', once()))])
        if (out.equals(damaged)) kept++
        else expect(out.toString()).toBe(plaintext)
      }
      expect(kept).toBeGreaterThan(blob.length / 3 / 2)
    } finally {
      ctx.close()
    }
  })

  it('errors never quote a secret value', () => {
    const { repo } = sealedRepo(['*.yaml'])
    repo.write('bad.yaml', `key: "${MARKER} unterminated\nother: [\n`)
    const add = repo.tryGit('add', 'bad.yaml')
    expect(add.status).not.toBe(0)
    expect(add.stderr).toContain('bad.yaml')
    expect(add.stderr).not.toContain(MARKER)
    expectNoPlaintext(repo)
  })
})

describe('protocol abuse against the real filter process', () => {
  const pkt = (s: string): string => (Buffer.byteLength(s) + 4).toString(16).padStart(4, '0') + s
  const handshake =
    pkt('git-filter-client\n') +
    pkt('version=2\n') +
    '0000' +
    pkt('capability=clean\n') +
    pkt('capability=smudge\n') +
    '0000'

  function feed(
    cwd: string,
    env: NodeJS.ProcessEnv,
    input: Buffer,
    closeEarly = false,
  ): Promise<{ code: number | null; timedOut: boolean }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [BUNDLE, 'filter-process'], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] })
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        resolve({ code: null, timedOut: true })
      }, 10_000)
      child.stdout.resume()
      child.stderr.resume()
      child.on('close', (code) => {
        clearTimeout(timer)
        resolve({ code, timedOut: false })
      })
      child.stdin.on('error', () => {})
      if (closeEarly) child.stdin.end(input.subarray(0, Math.floor(input.length / 2)))
      else child.stdin.end(input)
    })
  }

  it('random bytes, a flush at every position, and a peer that closes early: exits, never hangs', async () => {
    const { repo } = sealedRepo()
    const request = pkt('command=clean\n') + pkt('pathname=secrets/a.txt\n') + '0000' + pkt('secret') + '0000'
    const valid = handshake + request
    const inputs: { input: Buffer; closeEarly?: boolean }[] = [
      { input: Buffer.from('random bytes that are not pkt-lines at all') },
      { input: Buffer.from(Array.from({ length: 200 }, (_, i) => (i * 7919) % 256)) },
      { input: Buffer.from(handshake + 'zzzz') },
      { input: Buffer.from(handshake + 'fff9' + 'x'.repeat(10)) },
      { input: Buffer.from(valid), closeEarly: true },
    ]
    for (let i = 0; i <= valid.length; i += 4)
      inputs.push({ input: Buffer.from(valid.slice(0, i) + '0000' + valid.slice(i)) })
    for (const { input, closeEarly } of inputs) {
      const result = await feed(repo.dir, repo.env, input, closeEarly)
      expect(result.timedOut).toBe(false)
    }
    expectNoPlaintext(repo)
  }, 180_000)
})

describe('git workflows', () => {
  it('stash/pop, revert and cherry-pick keep secrets encrypted and readable', () => {
    const { repo } = sealedRepo()
    repo.write('secrets/a.txt', 'v1\n')
    repo.git('add', '.')
    repo.git('commit', '-qm', 'v1')
    repo.write('secrets/a.txt', `${MARKER} stashed\n`)
    repo.git('stash', '-q')
    expect(repo.read('secrets/a.txt').toString()).toBe('v1\n')
    repo.git('stash', 'pop', '-q')
    expect(repo.read('secrets/a.txt').toString()).toBe(`${MARKER} stashed\n`)
    repo.git('commit', '-qam', 'v2')
    repo.git('revert', '--no-edit', 'HEAD')
    expect(repo.read('secrets/a.txt').toString()).toBe('v1\n')
    repo.git('checkout', '-qb', 'other', 'HEAD~2')
    repo.git('cherry-pick', 'main~1')
    expect(repo.read('secrets/a.txt').toString()).toBe(`${MARKER} stashed\n`)
    expect(repo.status()).toBe('')
    expectNoPlaintext(repo)
  })

  it('interactive rebase editing a secret in an older commit', () => {
    const { repo } = sealedRepo()
    repo.write('secrets/a.txt', 'one\n')
    repo.git('add', '.')
    repo.git('commit', '-qm', 'one')
    repo.write('other.txt', 'x\n')
    repo.git('add', '.')
    repo.git('commit', '-qm', 'other')
    const env = { ...repo.env, GIT_SEQUENCE_EDITOR: "sed -i '1s/^pick/edit/'", GIT_EDITOR: 'true' }
    expect(repo.run('git', ['rebase', '-i', 'HEAD~2'], { env }).status).toBe(0)
    repo.write('secrets/a.txt', `${MARKER} edited in rebase\n`)
    repo.git('add', 'secrets/a.txt')
    expect(repo.run('git', ['commit', '--amend', '--no-edit', '-q'], { env }).status).toBe(0)
    expect(repo.run('git', ['rebase', '--continue'], { env }).status).toBe(0)
    expect(repo.read('secrets/a.txt').toString()).toBe(`${MARKER} edited in rebase\n`)
    expect(isAgeFile(repo.blob('HEAD~1:secrets/a.txt'))).toBe(true)
    expect(repo.status()).toBe('')
    expectNoPlaintext(repo)
  })

  it('sparse checkout, git archive (unlocked exports plaintext, locked ciphertext) and lock/unlock', () => {
    const { repo } = sealedRepo()
    repo.write('secrets/a.txt', `${MARKER}\n`)
    repo.write('other/b.txt', 'b\n')
    repo.git('add', '.')
    repo.git('commit', '-qm', 'ab')
    const archive = spawnSync('git', ['archive', 'HEAD', 'secrets/a.txt'], { cwd: repo.dir, env: repo.env }).stdout
    expect(archive.includes(MARKER)).toBe(true) // documented: an unlocked clone exports plaintext
    const lock = repo.seal('lock')
    expect(lock.status, lock.stderr).toBe(0)
    expect(isAgeFile(repo.read('secrets/a.txt'))).toBe(true)
    expect(repo.status()).toBe('')
    const lockedArchive = spawnSync('git', ['archive', 'HEAD', 'secrets/a.txt'], {
      cwd: repo.dir,
      env: repo.env,
    }).stdout
    expect(lockedArchive.includes(MARKER)).toBe(false)
    expect(repo.seal('unlock').status).toBe(0)
    expect(repo.read('secrets/a.txt').toString()).toBe(`${MARKER}\n`)
    expect(repo.status()).toBe('')
    repo.git('sparse-checkout', 'set', 'secrets')
    expect(repo.read('secrets/a.txt').toString()).toBe(`${MARKER}\n`)
    repo.git('sparse-checkout', 'disable')
    expect(repo.read('other/b.txt').toString()).toBe('b\n')
    expectNoPlaintext(repo)
  })

  it('lock refuses when a secret has unstaged changes, unless --force', () => {
    const { repo } = sealedRepo()
    repo.write('secrets/a.txt', 'v1\n')
    repo.git('add', '.')
    repo.git('commit', '-qm', 'v1')
    repo.write('secrets/a.txt', 'edited\n')
    const lock = repo.seal('lock')
    expect(lock.status).not.toBe(0)
    expect(lock.stderr).toContain('secrets/a.txt')
    expect(repo.read('secrets/a.txt').toString()).toBe('edited\n')
    expect(repo.seal('lock', '--force').status).toBe(0)
    expect(isAgeFile(repo.read('secrets/a.txt'))).toBe(true)
    expect(repo.seal('unlock').status).toBe(0)
  })

  it('a submodule holding secrets decrypts when installed in it', () => {
    const { repo: sub, key: subKey } = sealedRepo()
    sub.write('secrets/a.txt', 'in the submodule\n')
    sub.git('add', '.')
    sub.git('commit', '-qm', 'sub')
    const { repo: top } = sealedRepo()
    top.git('-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', sub.dir, 'vendor/sub')
    top.git('commit', '-qm', 'add submodule')
    const subDir = join(top.dir, 'vendor', 'sub')
    const install = top.run(process.execPath, [BUNDLE, 'install'], {
      cwd: subDir,
      env: { ...top.env, SOPS_AGE_KEY: subKey.identity },
    })
    expect(install.status, install.stderr).toBe(0)
    expect(readFileSync(join(subDir, 'secrets', 'a.txt'), 'utf8')).toBe('in the submodule\n')
  })

  it('two git commands at once in the same clone', async () => {
    const { repo } = sealedRepo()
    for (let i = 0; i < 20; i++) repo.write(`secrets/s${i}.txt`, `${MARKER} ${i}\n`)
    repo.git('add', '.')
    repo.git('commit', '-qm', 'many')
    const run = (args: string[]) =>
      new Promise<number | null>((resolve) => {
        const child = spawn('git', args, { cwd: repo.dir, env: repo.env, stdio: 'ignore' })
        child.on('close', resolve)
      })
    const codes = await Promise.all([
      run(['status', '--porcelain']),
      run(['diff', 'HEAD~0']),
      run(['log', '-p', '-1']),
      run(['status']),
    ])
    expect(codes).toEqual([0, 0, 0, 0])
    expect(repo.status()).toBe('')
    expectNoPlaintext(repo)
  })
})
