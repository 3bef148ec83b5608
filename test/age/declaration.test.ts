// git-seal's recipient declaration stanza: its encoding, and that age implementations we did
// not write (rage, typage, the age CLI) still decrypt files that carry it.
import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as typage from 'age-encryption'
import { describe, expect, it } from 'vitest'
import {
  DECLARATION_TYPE,
  DeclarationRecipient,
  decrypt,
  encrypt,
  generateIdentity,
  identityToRecipient,
  openingIdentities,
  parseIdentity,
  parseRecipient,
  parseSshIdentity,
  readDeclaration,
  readHeader,
  recipientFingerprint,
  sshStanzaTag,
} from '../../src/age/index.js'
import * as rage from '../helpers/rage.js'
import { ROOT, tempDir } from '../helpers/repo.js'

const hasAgeCli = spawnSync('age', ['--version']).status === 0
const SSH_DIR = join(ROOT, 'test', 'fixtures', 'ssh-to-age')
const SSH_PUB = readFileSync(join(SSH_DIR, 'id_ed25519.pub'), 'utf8').trim()

function declaredFile(identities: string[], plaintext: Uint8Array, extraKeys: string[] = []): Uint8Array {
  const keys = [...identities.map(identityToRecipient), ...extraKeys]
  return encrypt(plaintext, [...keys.map(parseRecipient), DeclarationRecipient.forKeys(keys)])
}

describe('the declaration stanza', () => {
  it('lists the fingerprints of every recipient, after their stanzas, covered by the header MAC', () => {
    const a = generateIdentity()
    const b = generateIdentity()
    const file = declaredFile([a, b], Buffer.from('x'), [SSH_PUB])
    const { stanzas } = readHeader(file)
    expect(stanzas.map((s) => s.type)).toEqual(['X25519', 'X25519', 'ssh-ed25519', DECLARATION_TYPE])
    expect(stanzas[3]!.args).toEqual(['v1'])
    expect(readDeclaration(stanzas)).toEqual(
      [identityToRecipient(a), identityToRecipient(b), SSH_PUB].map(recipientFingerprint),
    )
    expect(stanzas[2]!.args[0]).toBe(sshStanzaTag(SSH_PUB))
    // the MAC covers it: one changed fingerprint bit and nobody decrypts the file
    const text = Buffer.from(file).toString('latin1')
    const at = text.indexOf(`-> ${DECLARATION_TYPE} v1\n`) + `-> ${DECLARATION_TYPE} v1\n`.length
    const tampered = Buffer.from(file)
    tampered[at] = tampered[at] === 0x41 ? 0x42 : 0x41
    expect(() => decrypt(tampered, [parseIdentity(a)])).toThrow(/MAC/)
  })

  it('fingerprints ignore an ssh key comment and the case of an age key', () => {
    expect(recipientFingerprint(`${SSH_PUB.split(' ').slice(0, 2).join(' ')} someone@host`)).toBe(
      recipientFingerprint(SSH_PUB.split(' ').slice(0, 2).join(' ')),
    )
    const r = identityToRecipient(generateIdentity())
    expect(recipientFingerprint(r.toUpperCase())).toBe(recipientFingerprint(r))
    expect(recipientFingerprint(r)).toMatch(/^[0-9a-f]{16}$/)
  })

  it.each([
    ['no declaration', [], null],
    ['another version', [{ type: DECLARATION_TYPE, args: ['v2'], body: Buffer.alloc(8) }], 'malformed'],
    ['a torn body', [{ type: DECLARATION_TYPE, args: ['v1'], body: Buffer.alloc(7) }], 'malformed'],
    ['an empty body', [{ type: DECLARATION_TYPE, args: ['v1'], body: Buffer.alloc(0) }], 'malformed'],
    [
      'two declarations',
      [
        { type: DECLARATION_TYPE, args: ['v1'], body: Buffer.alloc(8) },
        { type: DECLARATION_TYPE, args: ['v1'], body: Buffer.alloc(8) },
      ],
      'malformed',
    ],
    ['one fingerprint', [{ type: DECLARATION_TYPE, args: ['v1'], body: Buffer.alloc(8, 1) }], ['0101010101010101']],
  ])('reads %s', (_what, stanzas, expected) => {
    expect(readDeclaration([{ type: 'X25519', args: ['x'], body: Buffer.alloc(32) }, ...stanzas])).toEqual(expected)
  })

  it('openingIdentities names exactly the keys that open the file', () => {
    const a = generateIdentity()
    const b = generateIdentity()
    const c = generateIdentity()
    const file = declaredFile([a, b], Buffer.from('x'))
    const ids = [a, b, c].map(parseIdentity)
    expect(openingIdentities(file, ids)).toEqual([ids[0], ids[1]])
  })
})

describe('other age implementations decrypt a declared file', () => {
  const data = Buffer.from('declared plaintext\n'.repeat(5000))

  it('rage (wasm)', async () => {
    const a = generateIdentity()
    const file = declaredFile([generateIdentity(), a], data, [SSH_PUB])
    expect(Buffer.from(await rage.decrypt_with_x25519(a, file)).equals(data)).toBe(true)
  })

  it('typage (age-encryption)', async () => {
    const a = generateIdentity()
    const file = declaredFile([a], data)
    const d = new typage.Decrypter()
    d.addIdentity(a)
    expect(Buffer.from(await d.decrypt(file)).equals(data)).toBe(true)
  })

  it.runIf(hasAgeCli)('the age CLI, with an X25519 key and with an SSH key', () => {
    const dir = tempDir()
    const a = generateIdentity()
    writeFileSync(join(dir, 'key.txt'), `${a}\n`)
    const file = join(dir, 'f.age')
    writeFileSync(file, declaredFile([a], data, [SSH_PUB]))
    expect(execFileSync('age', ['-d', '-i', join(dir, 'key.txt'), file]).equals(data)).toBe(true)
    const sshKey = join(dir, 'id_ed25519')
    writeFileSync(sshKey, readFileSync(join(SSH_DIR, 'id_ed25519')), { mode: 0o600 })
    expect(execFileSync('age', ['-d', '-i', sshKey, file]).equals(data)).toBe(true)
    // and our own SSH identity, for completeness
    expect(
      Buffer.from(decrypt(readFileSync(file), [parseSshIdentity(readFileSync(sshKey, 'utf8'))])).equals(data),
    ).toBe(true)
  })
  it.runIf(!hasAgeCli)('the age CLI (skipped: `age` is not on PATH)', () => {
    console.log('skipped: the age CLI is not installed')
    expect(hasAgeCli).toBe(false)
  })
})
