// classifyKey (src/config/keys.ts) words, for a config's author, what src/age knows about keys:
// the problems stay worded as they were when config/ parsed keys itself (issue 15).
import { bech32 } from '@scure/base'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { encodePluginRecipient, generateIdentity, identityToRecipient } from '../../src/age/index.js'
import { classifyKey } from '../../src/config/index.js'

function sshString(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(bytes.length)
  return Buffer.concat([length, bytes])
}

function sshEd25519(): { line: string; wire: Buffer } {
  const raw = Buffer.from(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x!, 'base64url')
  const wire = Buffer.concat([sshString(Buffer.from('ssh-ed25519')), sshString(raw)])
  return { line: `ssh-ed25519 ${wire.toString('base64')} someone@host`, wire }
}

describe('classifyKey', () => {
  const x25519 = identityToRecipient(generateIdentity())
  const ssh = sshEd25519()
  const flipped = x25519.slice(0, -1) + (x25519.endsWith('q') ? 'p' : 'q')
  const cases: [string, string, { kind: string } | { problem: string }][] = [
    ['an X25519 recipient', x25519, { kind: 'x25519' }],
    ['one with spaces around', ` ${x25519}\n`, { kind: 'x25519' }],
    [
      'one with an upper-case letter',
      `age1${x25519.slice(4, 10).toUpperCase()}${x25519.slice(10)}`,
      { problem: 'age recipients are lowercase' },
    ],
    [
      'one all in upper case (no age1 prefix then)',
      x25519.toUpperCase(),
      {
        problem:
          'not a recognised public key (expected age1…, age1pq1…, a plugin recipient age1NAME1… or ssh-ed25519 …)',
      },
    ],
    ['a broken checksum', flipped, { problem: 'not a valid age recipient (bad bech32)' }],
    [
      '31 bytes',
      bech32.encode('age', bech32.toWords(randomBytes(31))),
      { problem: 'not a valid age X25519 recipient' },
    ],
    [
      'more than 120 characters',
      bech32.encode('age', bech32.toWords(randomBytes(80)), 1023),
      { problem: 'not a valid age recipient (bad bech32)' },
    ],
    ['a post-quantum recipient', `age1pq1${'q'.repeat(40)}`, { kind: 'x25519-pq' }],
    [
      'a post-quantum one with a letter bech32 lacks',
      `age1pq1${'b'.repeat(40)}`,
      { problem: 'not a valid age1pq1 recipient' },
    ],
    ['a plugin recipient', encodePluginRecipient('yubikey', randomBytes(33)), { kind: 'plugin' }],
    ['an ssh-ed25519 key', ssh.line, { kind: 'ssh-ed25519' }],
    [
      'a truncated ssh-ed25519 key',
      `ssh-ed25519 ${ssh.wire.subarray(0, 30).toString('base64')}`,
      { problem: 'not a valid ssh-ed25519 public key' },
    ],
    [
      'an ssh-ed25519 line holding another type',
      `ssh-ed25519 ${Buffer.concat([sshString(Buffer.from('ssh-ed448')), sshString(randomBytes(32))]).toString('base64')}`,
      { problem: 'not a valid ssh-ed25519 public key' },
    ],
    ['an ssh-ed25519 line without base64', 'ssh-ed25519 !!!', { problem: 'not a valid ssh-ed25519 public key' }],
    [
      'an ssh-rsa key',
      `ssh-rsa ${randomBytes(64).toString('base64')}`,
      { problem: 'ssh-rsa keys are not supported; use an ed25519 SSH key or an age key' },
    ],
    [
      'a private key',
      generateIdentity(),
      { problem: 'this is a private key: put the public recipient (age1…) here, and keep the private key secret' },
    ],
    [
      'a plugin identity',
      'AGE-PLUGIN-YUBIKEY-1QQQQ',
      {
        problem:
          'this is a plugin identity: put the plugin recipient (age1NAME1…) here; the identity belongs in your key file',
      },
    ],
    [
      'anything else',
      'hello',
      {
        problem:
          'not a recognised public key (expected age1…, age1pq1…, a plugin recipient age1NAME1… or ssh-ed25519 …)',
      },
    ],
  ]
  for (const [what, key, expected] of cases) {
    it(what, () => expect(classifyKey(key)).toEqual(expected))
  }
})

import { keyWithoutComment } from '../../src/config/index.js'

describe('keyWithoutComment', () => {
  it.each([
    ['ssh-ed25519 AAAAC3Nz alice@laptop', 'ssh-ed25519 AAAAC3Nz'],
    ['  ssh-ed25519   AAAAC3Nz  ', 'ssh-ed25519 AAAAC3Nz'],
    ['age1qyqszqgpqyqszqgpqyqszqgpqyqszqgp', 'age1qyqszqgpqyqszqgpqyqszqgpqyqszqgp'],
    [' age1abc\n', 'age1abc'],
  ])('%j -> %j', (key, expected) => {
    expect(keyWithoutComment(key)).toBe(expected)
  })
})
