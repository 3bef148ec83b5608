// Interoperability both ways with implementations we did not write: rage (wasm), typage
// (age-encryption), and the age CLI when it is on PATH.
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as rage from '../helpers/rage.js'
import * as typage from 'age-encryption'
import { describe, expect, it } from 'vitest'
import {
  armor,
  decrypt,
  encrypt,
  generateIdentity,
  identityToRecipient,
  parseIdentity,
  parseRecipient,
  parseSshIdentity,
  scryptIdentity,
  scryptRecipient,
  sshToAgeIdentity,
  sshToAgeRecipient,
} from '../../src/age/index.js'
import { ROOT, tempDir } from '../helpers/repo.js'

const SIZES = [0, 1, 65535, 65536, 65537, 131072, 200000]
const hasAgeCli = spawnSync('age', ['--version']).status === 0
const SSH_DIR = join(ROOT, 'test', 'fixtures', 'ssh-to-age')

function bytes(n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = (i * 31 + (i >> 8)) & 0xff
  return out
}

describe('rage (wasm)', () => {
  it.each(SIZES)('decrypts what we encrypt (%i bytes), binary and armored', async (n) => {
    const identity = generateIdentity()
    const data = bytes(n)
    const ours = encrypt(data, [parseRecipient(identityToRecipient(identity))])
    expect(Buffer.from(await rage.decrypt_with_x25519(identity, ours)).equals(Buffer.from(data))).toBe(true)
    const armored = Buffer.from(armor(ours))
    expect(Buffer.from(await rage.decrypt_with_x25519(identity, armored)).equals(Buffer.from(data))).toBe(true)
  })

  it.each(SIZES)('we decrypt what rage encrypts (%i bytes), binary and armored', async (n) => {
    const keys = await rage.keygen()
    const [identity, recipient] = keys as unknown as [string, string]
    const data = bytes(n)
    for (const armored of [false, true]) {
      const theirs = await rage.encrypt_with_x25519(recipient, data, armored)
      expect(Buffer.from(decrypt(theirs, [parseIdentity(identity)])).equals(Buffer.from(data))).toBe(true)
    }
  })

  it('agrees on key encodings', async () => {
    const [identity, recipient] = (await rage.keygen()) as unknown as [string, string]
    expect(identityToRecipient(identity)).toBe(recipient)
  })
})

describe('typage (age-encryption)', () => {
  it.each([0, 1, 65536, 200000])('both directions (%i bytes)', async (n) => {
    const identity = await typage.generateIdentity()
    const recipient = await typage.identityToRecipient(identity)
    expect(identityToRecipient(identity)).toBe(recipient)
    const data = bytes(n)
    const ours = encrypt(data, [parseRecipient(recipient)])
    const d = new typage.Decrypter()
    d.addIdentity(identity)
    expect(Buffer.from(await d.decrypt(ours)).equals(Buffer.from(data))).toBe(true)
    const e = new typage.Encrypter()
    e.addRecipient(recipient)
    const theirs = await e.encrypt(data)
    expect(Buffer.from(decrypt(theirs, [parseIdentity(identity)])).equals(Buffer.from(data))).toBe(true)
  })
})

describe('passphrase (scrypt) files, with typage', () => {
  it('both directions', async () => {
    const data = bytes(1000)
    const e = new typage.Encrypter()
    e.setPassphrase('correct horse')
    e.setScryptWorkFactor(10)
    const theirs = await e.encrypt(data)
    expect(Buffer.from(decrypt(theirs, [scryptIdentity('correct horse')])).equals(Buffer.from(data))).toBe(true)
    expect(() => decrypt(theirs, [scryptIdentity('wrong')])).toThrow('no identity matched')
    const ours = encrypt(data, [scryptRecipient('correct horse', 10)])
    const d = new typage.Decrypter()
    d.addPassphrase('correct horse')
    expect(Buffer.from(await d.decrypt(ours)).equals(Buffer.from(data))).toBe(true)
  })
})

describe('ssh-ed25519 and ssh-to-age', () => {
  const pub = readFileSync(join(SSH_DIR, 'id_ed25519.pub'), 'utf8')
  const pem = readFileSync(join(SSH_DIR, 'id_ed25519'), 'utf8')

  it('converts the ssh-to-age vector', () => {
    expect(sshToAgeRecipient(pub)).toBe('age17044m9wgakla6pzftf4srtl3h5mcsr85jysgt5fg23zpnta8sfdqhzn452')
    expect(sshToAgeIdentity(pem)).toBe('AGE-SECRET-KEY-1K3VN4N03PTHJWSJSCCMQCN33RY5FSKQPJ4KRRTG3JMQUYE0TUSEQEDH6V8')
    expect(identityToRecipient(sshToAgeIdentity(pem))).toBe(sshToAgeRecipient(pub))
  })

  it('round trips the ssh-ed25519 stanza and the converted X25519 form', () => {
    const data = bytes(5000)
    const viaSsh = encrypt(data, [parseRecipient(pub)])
    expect(Buffer.from(viaSsh).toString('latin1')).toContain('-> ssh-ed25519 ')
    expect(Buffer.from(decrypt(viaSsh, [parseSshIdentity(pem)])).equals(Buffer.from(data))).toBe(true)
    const viaX25519 = encrypt(data, [parseRecipient(sshToAgeRecipient(pub))])
    expect(Buffer.from(decrypt(viaX25519, [parseIdentity(sshToAgeIdentity(pem))])).equals(Buffer.from(data))).toBe(true)
    expect(() => decrypt(viaSsh, [parseIdentity(generateIdentity())])).toThrow('no identity matched')
  })

  it('refuses ssh-rsa with a message that says so', () => {
    expect(() => parseRecipient('ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC')).toThrow('ssh-rsa keys are not supported')
  })
})

// Needs the age CLI: without it on PATH these are reported as skipped, never as passed
// (.ci/run installs it in CI).
describe.runIf(hasAgeCli)('the age CLI (skipped when `age` is not on PATH)', () => {
  it('both directions with X25519 and ssh-ed25519', () => {
    const dir = tempDir()
    const identity = generateIdentity()
    writeFileSync(join(dir, 'key.txt'), identity + '\n', { mode: 0o600 })
    const data = bytes(150000)
    writeFileSync(join(dir, 'ours.age'), encrypt(data, [parseRecipient(identityToRecipient(identity))]))
    expect(
      execFileSync('age', ['-d', '-i', join(dir, 'key.txt'), join(dir, 'ours.age')]).equals(Buffer.from(data)),
    ).toBe(true)
    writeFileSync(join(dir, 'plain'), data)
    execFileSync('age', ['-r', identityToRecipient(identity), '-o', join(dir, 'theirs.age'), join(dir, 'plain')])
    expect(
      Buffer.from(decrypt(readFileSync(join(dir, 'theirs.age')), [parseIdentity(identity)])).equals(Buffer.from(data)),
    ).toBe(true)
    const sshKey = join(dir, 'id_ed25519')
    copyFileSync(join(SSH_DIR, 'id_ed25519'), sshKey)
    chmodSync(sshKey, 0o600)
    writeFileSync(
      join(dir, 'ssh.age'),
      encrypt(data, [parseRecipient(readFileSync(join(SSH_DIR, 'id_ed25519.pub'), 'utf8'))]),
    )
    expect(execFileSync('age', ['-d', '-i', sshKey, join(dir, 'ssh.age')]).equals(Buffer.from(data))).toBe(true)
    execFileSync('age', ['-R', join(SSH_DIR, 'id_ed25519.pub'), '-o', join(dir, 'ssh-theirs.age'), join(dir, 'plain')])
    expect(
      Buffer.from(
        decrypt(readFileSync(join(dir, 'ssh-theirs.age')), [parseSshIdentity(readFileSync(sshKey, 'utf8'))]),
      ).equals(Buffer.from(data)),
    ).toBe(true)
  })
})
