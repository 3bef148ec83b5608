/**
 * The X25519 recipient type: `-> X25519 <ephemeral share>`, and its bech32 key encodings.
 * https://github.com/C2SP/C2SP/blob/main/age.md#the-x25519-recipient-type
 */
import { bech32 } from '@scure/base'
import { AgeError } from './errors.js'
import type { Stanza } from './header.js'
import {
  decodeBase64,
  encodeBase64,
  ephemeralKeyPair,
  hkdf,
  open,
  randomBytes,
  rawPublicKey,
  seal,
  x25519,
  x25519PrivateKey,
} from './primitives.js'
import { createPublicKey, type KeyObject } from 'node:crypto'
import type { Identity, Recipient } from './types.js'

const LABEL = 'age-encryption.org/v1/X25519'

/** Why a bech32 key is not one of this type: mixed case, no valid bech32, or another type or length. */
export type KeyFault = 'mixed-case' | 'bad-bech32' | 'not-this-type'

/** The 32 bytes of a bech32 key with this human-readable part, or why it is not one. */
function decodeKey(text: string, hrp: string): Uint8Array | KeyFault {
  if (text !== text.toLowerCase() && text !== text.toUpperCase()) return 'mixed-case'
  let prefix: string
  let bytes: Uint8Array
  try {
    const decoded = bech32.decode(text.toLowerCase() as `${string}1${string}`, 1023)
    prefix = decoded.prefix
    bytes = bech32.fromWords(decoded.words) // throws on non-zero padding bits
  } catch {
    return 'bad-bech32'
  }
  return prefix === hrp && bytes.length === 32 ? bytes : 'not-this-type'
}

function decodeBech32(text: string, hrp: string, what: string): Uint8Array {
  const key = decodeKey(text, hrp)
  if (key === 'mixed-case') throw new AgeError('bad-key', `${what} mixes upper and lower case`)
  if (typeof key === 'string') throw new AgeError('bad-key', `malformed ${what}`)
  return key
}

/** Why `text` is no age X25519 recipient (bech32, "age", 32 bytes), or null when it is one. */
export function x25519RecipientFault(text: string): KeyFault | null {
  const key = decodeKey(text, 'age')
  return typeof key === 'string' ? key : null
}

export function encodeRecipient(publicKey: Uint8Array): string {
  return bech32.encode('age', bech32.toWords(publicKey), 1023)
}

export function encodeIdentity(scalar: Uint8Array): string {
  return bech32.encode('age-secret-key-', bech32.toWords(scalar), 1023).toUpperCase()
}

/** Wraps a file key for an X25519 public key (used by the ssh-ed25519 type with a tweak too). */
export function wrapX25519(
  fileKey: Uint8Array,
  publicKey: Uint8Array,
  label = LABEL,
  tweak?: (shared: Buffer) => Buffer,
): { share: string; body: Buffer } {
  const { privateKey, share } = ephemeralKeyPair()
  let shared = x25519(privateKey, publicKey, true)
  if (tweak) shared = tweak(shared)
  const key = hkdf(shared, Buffer.concat([share, publicKey]), label)
  return { share: encodeBase64(share), body: seal(key, fileKey) }
}

/** Opens one X25519-style stanza body; null when the key does not fit. */
export function unwrapX25519(
  stanza: Stanza,
  shareArg: string,
  privateKey: KeyObject,
  publicKey: Uint8Array,
  label = LABEL,
  tweak?: (shared: Buffer) => Buffer,
): Uint8Array | null {
  const share = decodeBase64(shareArg, 'X25519 share')
  if (share.length !== 32) throw new AgeError('bad-header', 'X25519 share has the wrong length')
  if (stanza.body.length !== 32) throw new AgeError('bad-header', 'X25519 stanza body has the wrong length')
  let shared = x25519(privateKey, share)
  if (tweak) shared = tweak(shared)
  const key = hkdf(shared, Buffer.concat([share, publicKey]), label)
  return open(key, stanza.body)
}

export class X25519Recipient implements Recipient {
  constructor(readonly publicKey: Uint8Array) {}
  static parse(text: string): X25519Recipient {
    return new X25519Recipient(decodeBech32(text, 'age', 'age recipient'))
  }
  wrapFileKey(fileKey: Uint8Array): Stanza[] {
    const { share, body } = wrapX25519(fileKey, this.publicKey)
    return [{ type: 'X25519', args: [share], body }]
  }
}

/** Identities parsed in this process, by their text (a key file rarely holds more than a few). */
const parsedIdentities = new Map<string, X25519Identity>()
const MAX_PARSED = 64

export class X25519Identity implements Identity {
  private readonly privateKey: KeyObject
  readonly publicKey: Buffer
  constructor(scalar: Uint8Array) {
    this.privateKey = x25519PrivateKey(scalar)
    this.publicKey = rawPublicKey(createPublicKey(this.privateKey))
  }
  /**
   * @throws {AgeError} 'bad-key' when `text` is no age X25519 identity.
   * The same text gives the same object: a key file's line is parsed to check it, to use it and
   * to name its recipient, and each parse is a key import and a public-key derivation (~0.7 ms
   * of a filter start, issue 16).
   */
  static parse(text: string): X25519Identity {
    const trimmed = text.trim()
    let identity = parsedIdentities.get(trimmed)
    if (identity === undefined) {
      identity = new X25519Identity(decodeBech32(trimmed, 'age-secret-key-', 'age identity'))
      if (parsedIdentities.size < MAX_PARSED) parsedIdentities.set(trimmed, identity)
    }
    return identity
  }
  unwrapFileKey(stanzas: Stanza[]): Uint8Array | null {
    for (const s of stanzas) {
      if (s.type !== 'X25519') continue
      if (s.args.length !== 1) throw new AgeError('bad-header', 'X25519 stanza has the wrong number of arguments')
      const key = unwrapX25519(s, s.args[0]!, this.privateKey, this.publicKey)
      if (key) {
        if (key.length !== 16) throw new AgeError('bad-header', 'file key has the wrong length')
        return key
      }
    }
    return null
  }
}

export function generateIdentity(): string {
  return encodeIdentity(randomBytes(32))
}

export function identityToRecipient(identity: string): string {
  return encodeRecipient(X25519Identity.parse(identity).publicKey)
}
