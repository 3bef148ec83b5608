// The age plugin protocol without any process: plugin names (Bech32), the stanza framing, and
// the recipient-v1 / identity-v1 client state machines against a scripted plugin.
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  AgeError,
  PluginError,
  encodePluginIdentity,
  encodePluginRecipient,
  generateIdentity,
  identityToRecipient,
  isPluginIdentity,
  isPluginRecipient,
  parseIdentityFile,
  parsePluginIdentity,
  parsePluginRecipient,
  parseRecipient,
  type PluginUI,
} from '../../src/age/index.js'
import { unwrapFileKeys, wrapFileKeys } from '../../src/age/plugin/client.js'
import type { PluginChannel, PluginExit } from '../../src/age/plugin/process.js'
import { StanzaReader, encodeStanza } from '../../src/age/plugin/wire.js'
import { classifyKey } from '../../src/config/index.js'

describe('plugin recipients and identities', () => {
  it('round-trip through Bech32 with the HRPs age1NAME and AGE-PLUGIN-NAME-', () => {
    const data = randomBytes(33)
    const recipient = encodePluginRecipient('YubiKey', data)
    expect(recipient.startsWith('age1yubikey1')).toBe(true)
    expect(parsePluginRecipient(recipient)).toEqual({ name: 'yubikey', data: new Uint8Array(data) })
    const identity = encodePluginIdentity('yubikey', data)
    expect(identity.startsWith('AGE-PLUGIN-YUBIKEY-1')).toBe(true)
    expect(parsePluginIdentity(identity)).toEqual({ name: 'yubikey', data: new Uint8Array(data) })
    // Names may hold "1" and "-": the separator is the last "1".
    expect(parsePluginRecipient(encodePluginRecipient('fido2-hmac1', data)).name).toBe('fido2-hmac1')
    // Long data: no 90-character limit, as in age.
    expect(parsePluginIdentity(encodePluginIdentity('tpm', randomBytes(200))).data.length).toBe(200)
  })

  it('tell plugin keys from native ones', () => {
    const x25519 = identityToRecipient(generateIdentity())
    const pq = 'age1pq1' + 'q'.repeat(60)
    expect([
      isPluginRecipient(x25519),
      isPluginRecipient(pq),
      isPluginRecipient('age1tag1qqqq'),
      isPluginRecipient(encodePluginRecipient('fake', randomBytes(32))),
    ]).toEqual([false, false, false, true])
    expect([
      isPluginIdentity(generateIdentity()),
      isPluginIdentity(encodePluginIdentity('fake', randomBytes(32))),
    ]).toEqual([false, true])
  })

  const recipient = encodePluginRecipient('fake', randomBytes(32))
  const identity = encodePluginIdentity('fake', randomBytes(32))
  it.each([
    ['an upper-case recipient', () => parsePluginRecipient(recipient.toUpperCase()), 'lowercase'],
    ['a lower-case identity', () => parsePluginIdentity(identity.toLowerCase()), 'uppercase'],
    [
      'a bad checksum',
      () => parsePluginRecipient(recipient.slice(0, -1) + (recipient.endsWith('q') ? 'p' : 'q')),
      'malformed',
    ],
    ['a name with a path separator', () => encodePluginRecipient('../evil', randomBytes(4)), 'invalid plugin name'],
    [
      'an X25519 recipient',
      () => parsePluginRecipient(identityToRecipient(generateIdentity())),
      'not a plugin recipient',
    ],
    ['an identity with no name', () => parsePluginIdentity(identity.replace('AGE-PLUGIN-FAKE-', 'AGE-PLUGIN--')), ''],
  ])('refuse %s', (_what, parse, message) => {
    expect(parse).toThrow(AgeError)
    if (message) expect(parse).toThrow(message)
  })

  it('are accepted in key files, the config and parseRecipient', () => {
    const x = generateIdentity()
    expect(parseIdentityFile(`# yubikey\n${identity}\r\n${x}\n`)).toEqual([identity, x])
    expect(() => parseIdentityFile(`${identity.slice(0, -2)}\n`)).toThrow('line 1 holds a malformed plugin identity')
    expect(classifyKey(recipient)).toEqual({ kind: 'plugin' })
    expect(classifyKey(identity)).toHaveProperty('problem')
    expect(parseRecipient(recipient).constructor.name).toBe('PluginRecipient')
  })
})

describe('IPC framing', () => {
  it('writes stanzas as in an age header, the body wrapped at 64 columns and ended by a short line', () => {
    expect(encodeStanza('done').toString()).toBe('-> done\n\n')
    expect(encodeStanza('ok', ['yes']).toString()).toBe('-> ok yes\n\n')
    const body48 = encodeStanza('file-key', ['0'], Buffer.alloc(48)).toString().split('\n')
    expect(body48.slice(1)).toEqual(['A'.repeat(64), '', ''])
    expect(() => encodeStanza('msg', ['two words'])).toThrow(PluginError)
  })

  it('reads back what it writes, whatever the chunking', () => {
    const stanzas = [0, 1, 16, 47, 48, 49, 96, 100].map((n, i) => ({
      type: `t${i}`,
      args: i % 2 ? ['a', 'b+/='] : [],
      body: randomBytes(n),
    }))
    const wire = Buffer.concat(stanzas.map((s) => encodeStanza(s.type, s.args, s.body)))
    for (const size of [1, 7, wire.length]) {
      let at = 0
      const reader = new StanzaReader('test', () => {
        if (at >= wire.length) return null
        const start = at
        at += size
        return wire.subarray(start, at)
      })
      const read = []
      for (let s = reader.read(); s; s = reader.read()) read.push({ ...s, body: Buffer.from(s.body) })
      expect(read).toEqual(stanzas.map((s) => ({ ...s, body: Buffer.from(s.body) })))
    }
  })

  it.each([
    ['text that is no stanza', 'hello\n'],
    ['a body line longer than 64 columns', `-> x\n${'A'.repeat(68)}\n`],
    ['non-canonical base64', '-> x\nAB==\n'],
    ['base64 with non-zero trailing bits', '-> x\nAB\n'],
    ['an empty argument', '-> x  y\n\n'],
    ['a stanza cut short', `-> x\n${'A'.repeat(64)}\n`],
    ['a line cut short', '-> do'],
  ])('refuses %s', (_what, text) => {
    const bytes = [Buffer.from(text)]
    const reader = new StanzaReader('test', () => bytes.shift() ?? null)
    expect(() => reader.read()).toThrow(/broke the plugin protocol/)
  })
})

/** A plugin whose whole output is given up front; records what the client sent. */
class ScriptedPlugin implements PluginChannel {
  sent = ''
  closed = 0
  private output: Buffer[]
  constructor(
    output: string | Buffer,
    private readonly exit: PluginExit = { code: 0, signal: null, stderr: '' },
  ) {
    this.output = [Buffer.from(output)]
  }
  send(bytes: Uint8Array): void {
    this.sent += Buffer.from(bytes).toString('latin1')
  }
  receive(): Uint8Array | null {
    return this.output.shift() ?? null
  }
  close(): PluginExit {
    this.closed++
    return this.exit
  }
}

interface Asked {
  messages: string[]
  questions: string[]
  warnings: string[]
}

function scriptedUI(answers: { value?: string | null; confirm?: boolean | null } = {}): PluginUI & { asked: Asked } {
  const asked: Asked = { messages: [], questions: [], warnings: [] }
  return {
    asked,
    message: (_p, text) => {
      asked.messages.push(text)
      return true
    },
    confirm: (_p, text, yes, no) => {
      asked.questions.push(`${text} [${yes}/${no}]`)
      return answers.confirm ?? null
    },
    requestValue: (_p, text, secret) => {
      asked.questions.push(`${secret ? 'secret' : 'public'}: ${text}`)
      return answers.value ?? null
    },
    warn: (message) => void asked.warnings.push(message),
  }
}

const s = (type: string, args: string[] = [], body: Uint8Array | string = ''): string =>
  encodeStanza(type, args, typeof body === 'string' ? Buffer.from(body) : body).toString('latin1')
const KEY = Buffer.alloc(16, 7)
const b64 = (text: string): string => Buffer.from(text).toString('base64').replace(/=+$/, '')
const STANZA = { type: 'fake', args: ['tag', 'share'], body: Buffer.alloc(32, 1) }

describe('identity-v1', () => {
  it('sends the identities and every stanza with its file index, answers each command, and returns the file keys', () => {
    const ui = scriptedUI({ value: '1234', confirm: true })
    const plugin = new ScriptedPlugin(
      s('msg', [], 'touch it') +
        s('request-secret', [], 'PIN?') +
        s('request-public', [], 'serial?') +
        s('confirm', [b64('yes'), b64('no')], 'sure?') +
        s('grease-x', ['1']) +
        s('file-key', ['1'], KEY) +
        s('done'),
    )
    const result = unwrapFileKeys(
      'fake',
      plugin,
      ['AGE-PLUGIN-FAKE-1X'],
      [[STANZA], [STANZA, { type: 'X25519', args: ['abc'], body: Buffer.alloc(32) }]],
      ui,
    )
    expect(result.fileKeys).toEqual([null, KEY])
    expect(result.errors).toEqual([])
    expect(ui.asked.messages).toEqual(['touch it'])
    expect(ui.asked.questions).toEqual(['secret: PIN?', 'public: serial?', 'sure? [yes/no]'])
    const phase1 =
      s('add-identity', ['AGE-PLUGIN-FAKE-1X']) +
      s('recipient-stanza', ['0', 'fake', 'tag', 'share'], STANZA.body) +
      s('recipient-stanza', ['1', 'fake', 'tag', 'share'], STANZA.body) +
      s('recipient-stanza', ['1', 'X25519', 'abc'], Buffer.alloc(32)) +
      s('done')
    expect(plugin.sent).toBe(
      phase1 + s('ok') + s('ok', [], '1234') + s('ok', [], '1234') + s('ok', ['yes']) + s('unsupported') + s('ok'),
    )
  })

  it('answers fail when nobody can answer, and keeps what the plugin reports', () => {
    const ui = scriptedUI({ value: null, confirm: null })
    const plugin = new ScriptedPlugin(
      s('request-secret', [], 'PIN?') +
        s('confirm', ['eWVz'], 'go?') +
        s('error', ['identity', '0'], 'a PIN is required') +
        s('done'),
    )
    const result = unwrapFileKeys('fake', plugin, ['I'], [[STANZA]], ui)
    expect(result).toEqual({ fileKeys: [null], errors: ['a PIN is required (identity 0)'] })
    expect(plugin.sent.endsWith(s('fail') + s('fail') + s('ok'))).toBe(true)
  })

  it('drops the file key of a file whose stanza the plugin called invalid', () => {
    const plugin = new ScriptedPlugin(
      s('error', ['stanza', '0', '0'], 'malformed') + s('file-key', ['0'], KEY) + s('file-key', ['1'], KEY) + s('done'),
    )
    expect(unwrapFileKeys('fake', plugin, ['I'], [[STANZA], [STANZA]], scriptedUI()).fileKeys).toEqual([null, KEY])
  })

  it.each([
    ['two file keys for one file', s('file-key', ['0'], KEY) + s('file-key', ['0'], KEY) + s('done'), 'two file keys'],
    ['a file index out of range', s('file-key', ['1'], KEY) + s('done'), 'invalid file index'],
    ['a file key of the wrong size', s('file-key', ['0'], Buffer.alloc(15)) + s('done'), 'malformed file-key'],
    ['a confirm without options', s('confirm', [], 'go?') + s('done'), 'confirm with 0 arguments'],
  ])('fails on %s', (_what, output, message) => {
    const plugin = new ScriptedPlugin(output)
    expect(() => unwrapFileKeys('fake', plugin, ['I'], [[STANZA]], scriptedUI())).toThrow(message)
    expect(plugin.closed).toBeGreaterThan(0)
  })

  it('fails when the plugin stops before done, with how it exited and its last words', () => {
    const plugin = new ScriptedPlugin(s('msg', [], 'hello'), {
      code: 3,
      signal: null,
      stderr: 'line 1\npanic: no card\n',
    })
    const err = (() => {
      try {
        unwrapFileKeys('fake', plugin, ['I'], [[STANZA]], scriptedUI())
      } catch (e) {
        return e as PluginError
      }
      return null
    })()
    expect(err).toBeInstanceOf(PluginError)
    expect(err!.failure).toBe('failed')
    expect(err!.message).toBe('age-plugin-fake stopped before finishing (exit status 3): line 1 / panic: no card')
  })
})

describe('recipient-v1', () => {
  const fileKeys = [Buffer.alloc(16, 1), Buffer.alloc(16, 2)]
  it('sends recipients and file keys, and collects the stanzas of each file', () => {
    const ui = scriptedUI()
    const plugin = new ScriptedPlugin(
      s('recipient-stanza', ['1', 'fake', 'a'], 'one') +
        s('grease', []) +
        s('recipient-stanza', ['0', 'fake', 'b'], 'zero') +
        s('done'),
    )
    const out = wrapFileKeys('fake', plugin, ['age1fake1x'], fileKeys, ui)
    expect(
      out.map((stanzas) => stanzas.map((x) => `${x.type} ${x.args.join(' ')} ${Buffer.from(x.body).toString()}`)),
    ).toEqual([['fake b zero'], ['fake a one']])
    expect(plugin.sent).toBe(
      s('add-recipient', ['age1fake1x']) +
        s('wrap-file-key', [], fileKeys[0]!) +
        s('wrap-file-key', [], fileKeys[1]!) +
        s('done') +
        s('ok') +
        s('unsupported') +
        s('ok'),
    )
  })

  it.each([
    [
      'an error',
      s('error', ['recipient', '0'], 'bad recipient') + s('done'),
      'could not wrap to its recipients: bad recipient (recipient 0)',
    ],
    ['no stanza for a file', s('recipient-stanza', ['0', 'fake'], 'x') + s('done'), 'returned no stanza'],
    [
      'more stanzas than recipients',
      s('recipient-stanza', ['0', 'fake'], 'x') +
        s('recipient-stanza', ['0', 'fake'], 'y') +
        s('recipient-stanza', ['1', 'fake'], 'z') +
        s('done'),
      'more stanzas',
    ],
    ['a stanza without a type', s('recipient-stanza', ['0']) + s('done'), 'without a stanza type'],
    ['an early end', s('recipient-stanza', ['0', 'fake'], 'x'), 'stopped before finishing'],
  ])('fails on %s: the file is never encrypted to fewer recipients', (_what, output, message) => {
    expect(() => wrapFileKeys('fake', new ScriptedPlugin(output), ['age1fake1x'], fileKeys, scriptedUI())).toThrow(
      message,
    )
  })
})
