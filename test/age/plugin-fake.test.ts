// The plugin client against a real plugin process: the fake plugin (test/helpers/age-plugin-fake.mjs)
// on PATH, with a software key. Sessions are counted through its log.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  AgeError,
  PluginError,
  TerminalPluginUI,
  decrypt,
  encrypt,
  generateIdentity,
  identityToRecipient,
  parseIdentity,
  parseRecipient,
  pluginIdentities,
  prefetchPluginKeys,
  readHeader,
  setPluginUI,
  type Identity,
  type PluginUI,
  type Stanza,
} from '../../src/age/index.js'
import { HeaderSupply } from '../../src/age/prewrap.js'
import { loadIdentities } from '../../src/keys/identities.js'
import { installFakePlugin, type FakePlugin } from '../helpers/fake-plugin.js'
import { tempDir } from '../helpers/repo.js'

const hasAgeCli = spawnSync('age', ['--version']).status === 0

let fake: FakePlugin
const savedEnv = { ...process.env }
let log = ''

beforeAll(() => {
  fake = installFakePlugin()
})

function useFake(env: Record<string, string> = {}): void {
  log = join(tempDir(), 'sessions.jsonl')
  Object.assign(process.env, { PATH: fake.path, FAKE_PLUGIN_LOG: log }, env)
}

afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k]
  Object.assign(process.env, savedEnv)
  setPluginUI(new TerminalPluginUI())
})

function sessions(): { machine: string; files?: number; keys?: number; crashed?: boolean }[] {
  return existsSync(log)
    ? readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
    : []
}

interface Recorded {
  messages: string[]
  questions: string[]
  warnings: string[]
}

function recordingUI(answers: { value?: string | null; confirm?: boolean | null } = {}): PluginUI & Recorded {
  const ui: Recorded = { messages: [], questions: [], warnings: [] }
  const full: PluginUI & Recorded = Object.assign(ui, {
    message: (_p: string, text: string) => {
      ui.messages.push(text)
      return true
    },
    confirm: (_p: string, text: string) => {
      ui.questions.push(text)
      return answers.confirm ?? null
    },
    requestValue: (_p: string, text: string) => {
      ui.questions.push(text)
      return answers.value ?? null
    },
    warn: (message: string, hint?: string) => void ui.warnings.push(hint ? `${message} | ${hint}` : message),
  })
  setPluginUI(full)
  return full
}

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8')

describe('with the fake plugin on PATH', () => {
  it('encrypts to a plugin recipient and decrypts with its identity, alongside X25519', () => {
    useFake()
    const ui = recordingUI()
    const key = fake.generate()
    const x = generateIdentity()
    const file = encrypt(Buffer.from('hello plugin'), [
      parseRecipient(identityToRecipient(x)),
      parseRecipient(key.recipient),
    ])
    expect(readHeader(file).stanzas.map((s) => s.type)).toEqual(['X25519', 'fake'])
    expect(text(decrypt(file, [parseIdentity(key.identity)]))).toBe('hello plugin')
    expect(text(decrypt(file, [parseIdentity(x)]))).toBe('hello plugin')
    expect(sessions().map((s) => s.machine)).toEqual(['recipient-v1', 'identity-v1'])
    expect(ui.warnings).toEqual([])
  })

  it.runIf(hasAgeCli)('interoperates with the age CLI both ways', () => {
    useFake()
    recordingUI()
    const key = fake.generate()
    const dir = tempDir()
    const identityFile = join(dir, 'key.txt')
    writeFileSync(identityFile, `${key.identity}\n`)
    const ours = encrypt(Buffer.from('written by git-seal'), [parseRecipient(key.recipient)])
    const byAge = spawnSync('age', ['-d', '-i', identityFile], { input: ours, env: process.env })
    expect(byAge.stderr.toString()).toBe('')
    expect(byAge.stdout.toString()).toBe('written by git-seal')
    const theirs = spawnSync('age', ['-r', key.recipient], { input: 'written by age', env: process.env }).stdout
    expect(text(decrypt(theirs, [parseIdentity(key.identity)]))).toBe('written by age')
  })

  it('opens many files in one identity-v1 session, and asks nothing twice', () => {
    useFake()
    const ui = recordingUI()
    const [a, b] = [fake.generate(), fake.generate()]
    const files = ['one', 'two', 'three'].map((t) => encrypt(Buffer.from(t), [parseRecipient(a.recipient)]))
    files.push(encrypt(Buffer.from('four'), [parseRecipient(b.recipient)]))
    // Both identities of the plugin, as one identity: one session holds both.
    const identities: Identity[] = pluginIdentities([a.identity, b.identity])
    expect(identities).toHaveLength(1)
    const before = sessions().length
    expect(
      prefetchPluginKeys(
        identities,
        files.map((f) => readHeader(f).stanzas),
      ),
    ).toBe(true)
    expect(sessions().slice(before)).toEqual([{ machine: 'identity-v1', identities: 2, files: 4 }])
    expect(files.map((f) => text(decrypt(f, identities)))).toEqual(['one', 'two', 'three', 'four'])
    expect(
      prefetchPluginKeys(
        identities,
        files.map((f) => readHeader(f).stanzas),
      ),
    ).toBe(false)
    expect(sessions().length).toBe(before + 1)
    expect(ui.warnings).toEqual([])
  })

  it('wraps file keys ahead in a few recipient-v1 sessions, not one per file', () => {
    useFake()
    recordingUI()
    const key = fake.generate()
    const x = generateIdentity()
    const keys = [identityToRecipient(x), key.recipient]
    const supply = new HeaderSupply({ workerFile: null })
    const made = Array.from({ length: 20 }, (_, i) =>
      encrypt(
        Buffer.from(`file ${i}`),
        supply.take(keys, () => keys.map(parseRecipient)),
      ),
    )
    supply.close()
    expect(sessions()).toEqual([
      { machine: 'recipient-v1', recipients: 1, keys: 16 },
      { machine: 'recipient-v1', recipients: 1, keys: 64 },
    ])
    expect(new Set(made.map((f) => Buffer.from(f).toString('base64'))).size).toBe(20)
    const plugin = pluginIdentities([key.identity])
    prefetchPluginKeys(
      plugin,
      made.map((f) => readHeader(f).stanzas),
    )
    expect(made.map((f) => text(decrypt(f, plugin)))).toEqual(made.map((_, i) => `file ${i}`))
    expect(made.map((f) => text(decrypt(f, [parseIdentity(x)])))).toEqual(made.map((_, i) => `file ${i}`))
  })

  it('answers PIN, public-value and confirmation requests through the UI, once per session', () => {
    useFake({
      FAKE_PLUGIN_PIN: '1234',
      FAKE_PLUGIN_PUBLIC: '1',
      FAKE_PLUGIN_CONFIRM: '1',
      FAKE_PLUGIN_TOUCH: '1',
      FAKE_PLUGIN_GREASE: '1',
    })
    const ui = recordingUI({ value: '1234', confirm: true })
    // request-public must answer "fake-serial": give each prompt its own answer.
    ui.requestValue = (_p, prompt) => {
      ui.questions.push(prompt)
      return prompt.startsWith('Serial') ? 'fake-serial' : '1234'
    }
    const key = fake.generate()
    const files = ['a', 'b'].map((t) => encrypt(Buffer.from(t), [parseRecipient(key.recipient)]))
    const identities = pluginIdentities([key.identity])
    prefetchPluginKeys(
      identities,
      files.map((f) => readHeader(f).stanzas),
    )
    expect(files.map((f) => text(decrypt(f, identities)))).toEqual(['a', 'b'])
    expect(ui.questions).toEqual(['Enter the PIN of your fake key', 'Serial of your fake key', 'Use the fake key?'])
    // A touch-always key: one touch per file, even in one session.
    expect(ui.messages).toEqual(['touch your fake key', 'touch your fake key'])
    expect(ui.warnings).toEqual([])
  })

  it('reports a wrong PIN, and opens nothing', () => {
    useFake({ FAKE_PLUGIN_PIN: '1234' })
    const ui = recordingUI({ value: '0000' })
    const key = fake.generate()
    const file = encrypt(Buffer.from('x'), [parseRecipient(key.recipient)])
    expect(() => decrypt(file, pluginIdentities([key.identity]))).toThrow(
      expect.objectContaining({ code: 'no-identity' }),
    )
    expect(ui.warnings).toEqual(['age-plugin-fake: wrong PIN (identity 0)'])
  })

  it('without a terminal, says so clearly: the plugin gets fail and the user a warning with a hint', () => {
    useFake({ FAKE_PLUGIN_PIN: '1234' })
    const warnings: string[] = []
    const ui = new TerminalPluginUI(join(tempDir(), 'no-tty'))
    ui.warn = (message, hint) => void warnings.push(`${message} | ${hint}`)
    setPluginUI(ui)
    const key = fake.generate()
    const files = ['a', 'b'].map((t) => encrypt(Buffer.from(t), [parseRecipient(key.recipient)]))
    for (const f of files) expect(() => decrypt(f, pluginIdentities([key.identity]))).toThrow(AgeError)
    expect(warnings[0]).toMatch(
      /^age-plugin-fake asks for a secret \(PIN or passphrase\) \("Enter the PIN of your fake key"\), but there is no terminal to ask on \| run the git command from a terminal/,
    )
    expect(warnings).toContain('age-plugin-fake: a PIN is required (identity 0) | undefined')
  })

  it('a wrong identity opens nothing and asks nothing', () => {
    useFake({ FAKE_PLUGIN_PIN: '1234' })
    const ui = recordingUI({ value: '1234' })
    const file = encrypt(Buffer.from('x'), [parseRecipient(fake.generate().recipient)])
    expect(() => decrypt(file, pluginIdentities([fake.generate().identity]))).toThrow(
      expect.objectContaining({ code: 'no-identity' }),
    )
    expect(ui.questions).toEqual([])
    expect(ui.warnings).toEqual([])
    expect(sessions()).toContainEqual({ machine: 'identity-v1', identities: 1, files: 1 })
  })

  it('a plugin that crashes while decrypting is reported once and not started again', () => {
    useFake()
    const ui = recordingUI()
    const key = fake.generate()
    const files = ['a', 'b', 'c'].map((t) => encrypt(Buffer.from(t), [parseRecipient(key.recipient)]))
    process.env['FAKE_PLUGIN_CRASH'] = 'identity'
    const identities = pluginIdentities([key.identity])
    for (const f of files)
      expect(() => decrypt(f, identities)).toThrow(expect.objectContaining({ code: 'no-identity' }))
    expect(sessions().filter((s) => s.machine === 'identity-v1')).toEqual([{ machine: 'identity-v1', crashed: true }])
    expect(ui.warnings).toHaveLength(1)
    expect(ui.warnings[0]).toMatch(
      /^age-plugin-fake stopped before finishing \(exit status 7\): fake plugin: simulated crash \| check that age-plugin-fake works on its own/,
    )
    // A native identity in the same list still opens what it can.
    const x = generateIdentity()
    const mixed = encrypt(Buffer.from('native'), [
      parseRecipient(identityToRecipient(x)),
      parseRecipient(identityToRecipient(generateIdentity())),
    ])
    expect(text(decrypt(mixed, [...identities, parseIdentity(x)]))).toBe('native')
  })

  it('a plugin that crashes while encrypting fails the encryption', () => {
    useFake({ FAKE_PLUGIN_CRASH: 'recipient' })
    recordingUI()
    expect(() => encrypt(Buffer.from('x'), [parseRecipient(fake.generate().recipient)])).toThrow(PluginError)
  })

  it('a plugin missing from PATH fails encryption, and is reported once when decrypting', () => {
    const key = fake.generate()
    const file = (() => {
      useFake()
      recordingUI()
      return encrypt(Buffer.from('x'), [parseRecipient(key.recipient)])
    })()
    process.env['PATH'] = savedEnv['PATH'] ?? ''
    const ui = recordingUI()
    expect(() => encrypt(Buffer.from('x'), [parseRecipient(key.recipient)])).toThrow(/age-plugin-fake is not on PATH/)
    const identities = pluginIdentities([key.identity])
    expect(() => decrypt(file, identities)).toThrow(expect.objectContaining({ code: 'no-identity' }))
    expect(() => decrypt(file, identities)).toThrow(expect.objectContaining({ code: 'no-identity' }))
    expect(ui.warnings).toEqual([expect.stringMatching(/^age-plugin-fake is not on PATH \| install age-plugin-fake/)])
  })

  it('skips relative PATH entries: a repository cannot supply the plugin', () => {
    const key = fake.generate()
    recordingUI()
    process.env['PATH'] = `.:${savedEnv['PATH'] ?? ''}`
    const cwd = process.cwd()
    process.chdir(fake.dir)
    try {
      expect(() => encrypt(Buffer.from('x'), [parseRecipient(key.recipient)])).toThrow(/not on PATH/)
    } finally {
      process.chdir(cwd)
    }
  })

  it('loads plugin identities from key files: tried after every other identity, one per plugin', () => {
    useFake()
    const ui = recordingUI()
    const [a, b] = [fake.generate(), fake.generate()]
    const x = generateIdentity()
    const home = tempDir()
    const keyFile = join(home, '.config', 'sops', 'age', 'keys.txt')
    mkdirSync(join(keyFile, '..'), { recursive: true })
    // As age-plugin-yubikey --identity writes it: the recipient in a comment above.
    writeFileSync(keyFile, `#       Serial: 1, Slot: 1\n#    Recipient: ${a.recipient}\n${a.identity}\n\n${x}\n`, {
      mode: 0o600,
    })
    const set = loadIdentities({ HOME: home, XDG_CONFIG_HOME: join(home, '.config'), SOPS_AGE_KEY: b.identity })
    expect(set.problems).toEqual([])
    expect(set.identities.map((i) => i.constructor.name)).toEqual(['X25519Identity', 'PluginIdentity'])
    expect(set.recipients).toEqual([identityToRecipient(x), a.recipient])
    const files = [a, b].map((k) => encrypt(Buffer.from(k.recipient), [parseRecipient(k.recipient)]))
    prefetchPluginKeys(
      set.identities,
      files.map((f) => readHeader(f).stanzas),
    )
    expect(files.map((f) => text(decrypt(f, set.identities)))).toEqual([a.recipient, b.recipient])
    expect(sessions()).toEqual([
      { machine: 'recipient-v1', recipients: 1, keys: 1 },
      { machine: 'recipient-v1', recipients: 1, keys: 1 },
      { machine: 'identity-v1', identities: 2, files: 2 },
    ])
    // A file the X25519 key opens never starts the plugin.
    const native = encrypt(Buffer.from('native'), [parseRecipient(identityToRecipient(x)), parseRecipient(a.recipient)])
    const before = sessions().length
    expect(text(decrypt(native, set.identities))).toBe('native')
    expect(sessions().length).toBe(before)
    expect(ui.warnings).toEqual([])
  })

  it('hands every stanza of a file to the plugin, whatever its type', () => {
    useFake()
    recordingUI()
    const key = fake.generate()
    const file = encrypt(Buffer.from('x'), [
      parseRecipient(identityToRecipient(generateIdentity())),
      parseRecipient(key.recipient),
    ])
    const stanzas: Stanza[] = readHeader(file).stanzas
    expect(text(decrypt(file, pluginIdentities([key.identity])))).toBe('x')
    expect(stanzas).toHaveLength(2)
  })
})
