// Hardware-backed keys through age plugins, end to end with real git: the fake plugin
// (test/helpers/age-plugin-fake.mjs, a software key) on PATH stands in for age-plugin-yubikey.
// Sessions are counted through the plugin's log: a checkout opens every file in one session.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readHeader } from '../../src/age/index.js'
import { installFakePlugin } from '../helpers/fake-plugin.js'
import { Repo, expectNoLeak, isAgeFile, newHome, newKey, simpleConfig, tempDir } from '../helpers/repo.js'

const hasAgeCli = spawnSync('age', ['--version']).status === 0
const hasScript = spawnSync('script', ['--version']).status === 0
const MARKER = 'plugin-marker-7f3a'

interface Session {
  machine: string
  files?: number
  keys?: number
  crashed?: boolean
}

interface PluginRepo {
  repo: Repo
  identity: string
  recipient: string
  log: string
  sessions(): Session[]
  /** sessions since the last call */
  newSessions(): Session[]
}

/** A repository whose only admin key is a plugin key, with that identity in the HOME key file. */
function pluginRepo(options: { env?: Record<string, string>; identity?: string } = {}): PluginRepo {
  const fake = installFakePlugin()
  const key = fake.generate()
  const home = newHome()
  const keyFile = join(home.dir, '.config', 'sops', 'age', 'keys.txt')
  mkdirSync(dirname(keyFile), { recursive: true })
  writeFileSync(keyFile, `# fake hardware key\n${options.identity ?? key.identity}\n`, { mode: 0o600 })
  const log = join(tempDir(), 'sessions.jsonl')
  Object.assign(home.env, { PATH: fake.path, FAKE_PLUGIN_LOG: log }, options.env ?? {})
  const repo = Repo.init(home)
  repo.write('.gitseal.yaml', simpleConfig(['secrets/**'], [{ name: 'yubikey', key: key.recipient }]))
  expect(repo.seal('sync').status).toBe(0)
  expect(repo.seal('install').status).toBe(0)
  repo.git('add', '.gitseal.yaml', '.gitattributes')
  repo.git('commit', '-qm', 'config')
  let seen = 0
  const sessions = (): Session[] =>
    existsSync(log)
      ? readFileSync(log, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Session)
      : []
  return {
    repo,
    identity: key.identity,
    recipient: key.recipient,
    log,
    sessions,
    newSessions() {
      const all = sessions()
      const out = all.slice(seen)
      seen = all.length
      return out
    },
  }
}

/**
 * Runs a shell command in a pseudo-terminal (util-linux `script`), typing each answer once its
 * prompt appears in the terminal's output.
 */
function inTerminal(
  repo: Repo,
  command: string,
  answers: Record<string, string>,
): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: repo.dir, env: repo.env })
    let output = ''
    const pending = new Map(Object.entries(answers))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString()
      for (const [prompt, answer] of pending) {
        if (output.includes(prompt)) {
          pending.delete(prompt)
          child.stdin.write(answer)
        }
      }
    })
    child.on('close', (status) => {
      clearTimeout(timer)
      resolve({ status, output })
    })
  })
}

const SECRETS: Record<string, string> = {
  'secrets/a.txt': `alpha ${MARKER}\n`,
  'secrets/b.txt': `bravo ${MARKER}\n`,
  'secrets/c.txt': `charlie ${MARKER}\n`,
  'secrets/app.yaml': `db:\n  password: ${MARKER}\n`,
}

function addSecrets(p: PluginRepo): void {
  for (const [path, text] of Object.entries(SECRETS)) p.repo.write(path, text)
  p.repo.git('add', 'secrets')
  p.repo.git('commit', '-qm', 'secrets')
}

function removeSecrets(p: PluginRepo): void {
  for (const path of Object.keys(SECRETS)) p.repo.run('rm', ['-f', join(p.repo.dir, path)])
}

describe('a plugin key as admin (the fake plugin on PATH)', () => {
  it('works end to end through git add, checkout and diff, with one plugin session per checkout', () => {
    const p = pluginRepo()
    p.newSessions()
    addSecrets(p)
    // git add: file keys wrapped ahead in batches, not a session per file: one recipient-v1
    // session for the age files' headers (which carry git-seal's recipient declaration) and one
    // for the sops file's data key (wrapped alone, as sops does).
    expect(p.newSessions()).toEqual([
      { machine: 'recipient-v1', recipients: 1, keys: 16 },
      { machine: 'recipient-v1', recipients: 1, keys: 16 },
    ])
    const stored = p.repo.blob('HEAD:secrets/a.txt')
    expect(isAgeFile(stored)).toBe(true)
    expect(readHeader(stored).stanzas.map((s) => s.type)).toEqual(['fake', 'git-seal-recipients']) // the plugin's stanza, then git-seal's recipient declaration
    const sops = p.repo.blob('HEAD:secrets/app.yaml').toString()
    expect(sops).toContain(`recipient: ${p.recipient}`)
    expect(sops).not.toContain(MARKER)

    // Checkout: every file held through git's delay, then one identity-v1 session for all four.
    removeSecrets(p)
    const checkout = p.repo.tryGit('checkout', '--', 'secrets')
    expect(checkout.status, checkout.stderr).toBe(0)
    for (const [path, text] of Object.entries(SECRETS)) expect(p.repo.read(path).toString()).toBe(text)
    expect(p.newSessions()).toEqual([{ machine: 'identity-v1', identities: 1, files: 4 }])
    expect(p.repo.status()).toBe('')
    expect(p.newSessions()).toEqual([]) // status: fingerprints answer, no plugin
    // An edited secret (same size: git must run clean to compare it): encrypted again to compare
    // it, never decrypted (its fingerprint proves the change).
    p.repo.write('secrets/c.txt', `CHARLIE ${MARKER}\n`)
    expect(p.repo.status()).toBe(' M secrets/c.txt\n')
    expect(p.newSessions().filter((s) => s.machine === 'identity-v1')).toEqual([])
    p.repo.git('checkout', '--', 'secrets/c.txt')
    expect(p.repo.read('secrets/c.txt').toString()).toBe(SECRETS['secrets/c.txt'])

    // A branch switch too.
    p.repo.git('switch', '-q', '-c', 'other')
    p.repo.write('secrets/a.txt', `alpha changed ${MARKER}\n`)
    p.repo.git('commit', '-qam', 'change a')
    p.newSessions()
    p.repo.git('switch', '-q', 'main')
    expect(p.repo.read('secrets/a.txt').toString()).toBe(SECRETS['secrets/a.txt'])
    expect(p.newSessions()).toEqual([{ machine: 'identity-v1', identities: 1, files: 1 }])

    // diff and log -p: textconv, one session per blob.
    p.repo.write('secrets/b.txt', `bravo edited ${MARKER}\n`)
    const diff = p.repo.git('diff', '--', 'secrets/b.txt')
    expect(diff).toContain(`-bravo ${MARKER}`)
    expect(diff).toContain(`+bravo edited ${MARKER}`)
    const log = p.repo.git('log', '-p', 'other', '--', 'secrets/a.txt')
    expect(log).toContain(`+alpha changed ${MARKER}`)
    // textconv opens one blob per run; clean (git diff compares the edited file) wraps ahead.
    const sessions = p.newSessions()
    expect(sessions.filter((s) => s.machine === 'identity-v1').length).toBeGreaterThanOrEqual(2)
    expect(sessions.filter((s) => s.machine === 'identity-v1').every((s) => s.files === 1)).toBe(true)
    p.repo.git('checkout', '--', 'secrets/b.txt')
    expectNoLeak(p.repo, MARKER)
  })

  it('merges a secret both branches changed: one session per blob, the result encrypted to the plugin key', () => {
    const p = pluginRepo()
    p.repo.write('secrets/list.txt', `one\ntwo\nthree ${MARKER}\nfour\nfive\n`)
    p.repo.git('add', 'secrets')
    p.repo.git('commit', '-qm', 'list')
    p.repo.git('switch', '-q', '-c', 'side')
    p.repo.write('secrets/list.txt', `one side\ntwo\nthree ${MARKER}\nfour\nfive\n`)
    p.repo.git('commit', '-qam', 'side')
    p.repo.git('switch', '-q', 'main')
    p.repo.write('secrets/list.txt', `one\ntwo\nthree ${MARKER}\nfour\nfive main\n`)
    p.repo.git('commit', '-qam', 'main')
    p.newSessions()
    const merge = p.repo.tryGit('merge', '-q', '--no-edit', 'side')
    expect(merge.status, merge.stderr).toBe(0)
    expect(p.repo.read('secrets/list.txt').toString()).toBe(`one side\ntwo\nthree ${MARKER}\nfour\nfive main\n`)
    expect(readHeader(p.repo.blob('HEAD:secrets/list.txt')).stanzas.map((s) => s.type)).toEqual([
      'fake',
      'git-seal-recipients',
    ])
    // The merge driver opens base, ours and theirs: one session each.
    expect(p.newSessions().filter((s) => s.machine === 'identity-v1' && s.files === 1).length).toBeGreaterThanOrEqual(3)
    expect(p.repo.status()).toBe('')
    expectNoLeak(p.repo, MARKER)
  })

  it('status never asks the plugin: whether a plugin key opens a secret is reported as unknown', () => {
    const p = pluginRepo({ env: { FAKE_PLUGIN_PIN: '4321' } })
    addSecrets(p)
    p.newSessions()
    const r = p.repo.seal('status', '--json')
    const report = JSON.parse(r.stdout) as {
      secrets: { path: string; index: string; decryptable: boolean | null; problems: string[] }[]
    }
    expect(report.secrets.map((x) => [x.path, x.index, x.decryptable])).toEqual(
      Object.keys(SECRETS)
        .sort()
        .map((path) => [path, 'ciphertext', null]),
    )
    expect(report.secrets.flatMap((x) => x.problems)).toEqual([])
    expect(p.newSessions()).toEqual([])
    expect(r.stderr).not.toContain('PIN')
    expectNoLeak(p.repo, MARKER)
  })

  it('init takes the admin key from the comment age-plugin-yubikey writes above its identity', () => {
    const fake = installFakePlugin()
    const key = fake.generate()
    const home = newHome()
    const keyFile = join(home.dir, '.config', 'sops', 'age', 'keys.txt')
    mkdirSync(dirname(keyFile), { recursive: true })
    writeFileSync(
      keyFile,
      `#       Serial: 15, Slot: 1\n# Touch policy: Always\n#    Recipient: ${key.recipient}\n${key.identity}\n`,
      { mode: 0o600 },
    )
    home.env['PATH'] = fake.path
    const repo = Repo.init(home)
    const init = repo.seal('init')
    expect(init.status, init.stderr).toBe(0)
    expect(readFileSync(join(repo.dir, '.gitseal.yaml'), 'utf8')).toContain(`key: ${key.recipient}`)
    expect(readFileSync(keyFile, 'utf8')).not.toContain('AGE-SECRET-KEY') // no software key was generated
  })

  it.runIf(hasAgeCli)('writes files the age CLI decrypts with the same plugin', () => {
    const p = pluginRepo()
    addSecrets(p)
    const keyFile = join(tempDir(), 'key.txt')
    writeFileSync(keyFile, `${p.identity}\n`)
    const r = spawnSync('age', ['-d', '-i', keyFile], { input: p.repo.blob('HEAD:secrets/c.txt'), env: p.repo.env })
    expect(r.stderr.toString()).toBe('')
    expect(r.stdout.toString()).toBe(SECRETS['secrets/c.txt'])
    expectNoLeak(p.repo, MARKER)
  })

  it('unlock and install open every locked file in one plugin session', () => {
    const p = pluginRepo()
    addSecrets(p)
    expect(p.repo.seal('lock').status).toBe(0)
    expect(p.repo.read('secrets/a.txt').toString()).not.toContain(MARKER)
    p.newSessions()
    const unlock = p.repo.seal('unlock')
    expect(unlock.status, unlock.stderr).toBe(0)
    expect(p.repo.read('secrets/a.txt').toString()).toBe(SECRETS['secrets/a.txt'])
    expect(p.repo.read('secrets/app.yaml').toString()).toBe(SECRETS['secrets/app.yaml'])
    expect(p.newSessions()).toEqual([{ machine: 'identity-v1', identities: 1, files: 4 }])
    expect(p.repo.status()).toBe('')

    // install in a fresh clone (checked out while git-seal was not installed yet).
    const clone = tempDir('git-seal-clone-')
    p.repo.git('clone', '-q', p.repo.dir, clone)
    const cloned = new Repo(clone, p.repo.home)
    expect(cloned.read('secrets/a.txt').toString()).not.toContain(MARKER)
    p.newSessions()
    const install = cloned.seal('install')
    expect(install.status, install.stderr).toBe(0)
    expect(cloned.read('secrets/c.txt').toString()).toBe(SECRETS['secrets/c.txt'])
    expect(p.newSessions()).toEqual([{ machine: 'identity-v1', identities: 1, files: 4 }])
    expectNoLeak(p.repo, MARKER)
    expectNoLeak(cloned, MARKER)
  })

  it.runIf(hasScript)('asks for the PIN on the terminal once per checkout, without echoing it', async () => {
    const p = pluginRepo({ env: { FAKE_PLUGIN_PIN: '4321' } })
    addSecrets(p)
    removeSecrets(p)
    // A pseudo-terminal for git, as a user's shell gives it; the PIN is typed once it is asked for.
    const { status, output } = await inTerminal(p.repo, 'git checkout -- secrets', { 'Enter the PIN': '4321\n' })
    expect(status, output).toBe(0)
    expect(output.match(/Enter the PIN of your fake key/g)).toHaveLength(1)
    expect(output).not.toContain('4321') // echo was off while it was typed
    expect(p.newSessions().filter((s) => s.machine === 'identity-v1')).toEqual([
      { machine: 'identity-v1', identities: 1, files: 4 },
    ])
    for (const [path, text] of Object.entries(SECRETS)) expect(p.repo.read(path).toString()).toBe(text)
    expectNoLeak(p.repo, MARKER)
  })

  it('without a terminal, a PIN-protected key leaves the files encrypted, says why, and the checkout succeeds', () => {
    const p = pluginRepo({ env: { FAKE_PLUGIN_PIN: '4321' } })
    addSecrets(p)
    removeSecrets(p)
    const r = p.repo.tryGit('checkout', '--', 'secrets')
    expect(r.status, r.stderr).toBe(0)
    expect(isAgeFile(p.repo.read('secrets/a.txt'))).toBe(true)
    expect(
      r.stderr.match(
        /age-plugin-fake asks for a secret \(PIN or passphrase\) \("Enter the PIN of your fake key"\), but there is no terminal to ask on/g,
      ),
    ).toHaveLength(1)
    expect(r.stderr).toContain('git-seal: hint: run the git command from a terminal')
    expect(r.stderr).toContain('secrets/a.txt')
    expect(p.repo.status()).toBe('')
    expectNoLeak(p.repo, MARKER)
  })

  it('with the wrong plugin identity, the files stay encrypted and nothing is asked', () => {
    const other = installFakePlugin().generate()
    const p = pluginRepo({ env: { FAKE_PLUGIN_PIN: '4321' }, identity: other.identity })
    addSecrets(p)
    removeSecrets(p)
    const r = p.repo.tryGit('checkout', '--', 'secrets')
    expect(r.status, r.stderr).toBe(0)
    expect(isAgeFile(p.repo.read('secrets/b.txt'))).toBe(true)
    expect(r.stderr).toContain('none of your age identities can decrypt it')
    expect(r.stderr).not.toContain('PIN')
    expectNoLeak(p.repo, MARKER)
  })

  it('a plugin that crashes: checkout keeps ciphertext and names the plugin; git add fails and stages nothing', () => {
    const p = pluginRepo()
    addSecrets(p)
    removeSecrets(p)
    p.repo.env = { ...p.repo.env, FAKE_PLUGIN_CRASH: 'identity' }
    const checkout = p.repo.tryGit('checkout', '--', 'secrets')
    expect(checkout.status, checkout.stderr).toBe(0)
    expect(isAgeFile(p.repo.read('secrets/a.txt'))).toBe(true)
    expect(
      checkout.stderr.match(
        /age-plugin-fake stopped before finishing \(exit status 7\): fake plugin: simulated crash/g,
      ),
    ).toHaveLength(1)

    p.repo.env = { ...p.repo.env, FAKE_PLUGIN_CRASH: 'recipient' }
    p.repo.write('secrets/new.txt', `new ${MARKER}\n`)
    const add = p.repo.tryGit('add', 'secrets/new.txt')
    expect(add.status).not.toBe(0)
    expect(add.stderr).toContain('age-plugin-fake stopped before finishing')
    expect(p.repo.git('ls-files', 'secrets/new.txt')).toBe('')
    p.repo.run('rm', ['-f', join(p.repo.dir, 'secrets/new.txt')])
    expectNoLeak(p.repo, MARKER)
  })

  it('a plugin missing from PATH: git add fails with a hint to install it', () => {
    const p = pluginRepo()
    p.repo.env = { ...p.repo.env, PATH: process.env['PATH'] ?? '' }
    p.repo.write('secrets/a.txt', `alpha ${MARKER}\n`)
    const add = p.repo.tryGit('add', 'secrets/a.txt')
    expect(add.status).not.toBe(0)
    expect(add.stderr).toContain('age-plugin-fake is not on PATH')
    expect(add.stderr).toContain('hint: install age-plugin-fake')
    expect(p.repo.git('ls-files', 'secrets')).toBe('')
    p.repo.run('rm', ['-f', join(p.repo.dir, 'secrets/a.txt')])
    expectNoLeak(p.repo, MARKER)
  })
})

describe('post-quantum and classic recipients in one secret', () => {
  it('the config is refused, naming the secret by file:line with the hint', () => {
    const home = newHome()
    const alice = newKey()
    home.installKey(alice)
    const repo = Repo.init(home)
    const pq = 'age1pq1' + 'q'.repeat(1950)
    repo.write(
      '.gitseal.yaml',
      simpleConfig(
        ['secrets/**'],
        [
          { name: 'alice', key: alice.recipient },
          { name: 'quantum', key: pq },
        ],
      ),
    )
    const r = repo.seal('status')
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(
      /\.gitseal\.yaml:\d+:\d+: groups\.dev\.secrets\.main: mixes post-quantum \(age1pq1\) recipients \(quantum\) with classic ones \(alice\), which age refuses; make the group all post-quantum or split the secret/,
    )
  })

  it('status flags a blob that already mixes them', async () => {
    const home = newHome()
    const alice = newKey()
    home.installKey(alice)
    const repo = Repo.init(home)
    repo.write('.gitseal.yaml', simpleConfig(['secrets/**'], [{ name: 'alice', key: alice.recipient }]))
    expect(repo.seal('sync').status).toBe(0)
    expect(repo.seal('install').status).toBe(0)
    // What encryptHybrid wrote before it refused to mix: a hybrid stanza next to an X25519 one.
    const { Encrypter, generateHybridIdentity, identityToRecipient } = await import('age-encryption')
    const hybrid = await identityToRecipient(await generateHybridIdentity())
    const encrypter = new Encrypter()
    encrypter.addRecipient(hybrid)
    encrypter.addRecipient(alice.recipient)
    repo.stageRaw('secrets/mixed.txt', await encrypter.encrypt(`mixed ${MARKER}\n`))
    const r = repo.seal('status')
    expect(r.stdout).toContain(
      'problem: encrypted to post-quantum and classic recipients at once, which age refuses to decrypt',
    )
    expect(r.status).toBe(1)
    expectNoLeak(repo, MARKER)
  })
})
