/**
 * SSH keys: the ssh-ed25519 recipient type (so `age -d -i ~/.ssh/id_ed25519` and agenix read
 * what we write), OpenSSH private key parsing, and the ssh-to-age conversion sops-nix uses.
 * https://github.com/C2SP/C2SP/blob/main/age.md#the-ssh-ed25519-recipient-type
 */
import { createHash } from 'node:crypto'
import { AgeError } from './errors.js'
import type { Stanza } from './header.js'
import { decodeBase64, encodeBase64, hkdf, x25519, x25519PrivateKey } from './primitives.js'
import type { Identity, Recipient } from './types.js'
import { encodeIdentity, encodeRecipient, unwrapX25519, wrapX25519 } from './x25519.js'

const LABEL = 'age-encryption.org/v1/ssh-ed25519'
const P = 2n ** 255n - 19n

function modPow(base: bigint, exp: bigint): bigint {
  let result = 1n
  let b = base % P
  let e = exp
  while (e > 0n) {
    if (e & 1n) result = (result * b) % P
    b = (b * b) % P
    e >>= 1n
  }
  return result
}

function toLittleEndian(n: bigint): Buffer {
  const out = Buffer.alloc(32)
  for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn)
  return out
}

/** The Montgomery u of an Edwards point: u = (1 + y) / (1 - y) mod p (RFC 7748 section 4.1). */
export function edwardsToMontgomery(publicKey: Uint8Array): Buffer {
  let y = 0n
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(i === 31 ? publicKey[i]! & 0x7f : publicKey[i]!)
  if (y >= P) throw new AgeError('bad-key', 'invalid ed25519 public key')
  const denominator = (1n - y + P) % P
  if (denominator === 0n) throw new AgeError('bad-key', 'invalid ed25519 public key')
  return toLittleEndian(((1n + y) * modPow(denominator, P - 2n)) % P)
}

function readString(buf: Buffer, offset: number): [Buffer, number] {
  if (offset + 4 > buf.length) throw new AgeError('bad-key', 'truncated SSH key')
  const length = buf.readUInt32BE(offset)
  if (offset + 4 + length > buf.length) throw new AgeError('bad-key', 'truncated SSH key')
  return [buf.subarray(offset + 4, offset + 4 + length), offset + 4 + length]
}

/** The 32-byte ed25519 key of an OpenSSH wire-format public key. */
function ed25519FromWire(wire: Buffer): Buffer {
  const [type, next] = readString(wire, 0)
  if (type.toString('latin1') !== 'ssh-ed25519')
    throw new AgeError(
      'unsupported',
      `${type.toString('latin1') || 'this'} SSH keys are not supported; use an ed25519 key`,
    )
  const [key, end] = readString(wire, next)
  if (key.length !== 32 || end !== wire.length) throw new AgeError('bad-key', 'invalid ssh-ed25519 public key')
  return key
}

/** Parses `ssh-ed25519 AAAA… [comment]`. */
export function parseSshPublicKey(line: string): { wire: Buffer; key: Buffer } {
  const [type, b64] = line.trim().split(/\s+/)
  if (type === 'ssh-rsa') throw new AgeError('unsupported', 'ssh-rsa keys are not supported; use an ed25519 key')
  if (type !== 'ssh-ed25519' || !b64) throw new AgeError('bad-key', 'not an ssh-ed25519 public key')
  const wire = Buffer.from(b64, 'base64')
  return { wire, key: ed25519FromWire(wire) }
}

/** True when `line` is a well-formed `ssh-ed25519 AAAA… [comment]` public key. */
export function isSshEd25519PublicKey(line: string): boolean {
  try {
    parseSshPublicKey(line)
    return true
  } catch {
    return false // malformed, truncated or another key type: the caller words the problem
  }
}

export function tagOf(wire: Buffer): string {
  return encodeBase64(createHash('sha256').update(wire).digest().subarray(0, 4))
}

function tweaker(wire: Buffer): (shared: Buffer) => Buffer {
  const tweak = x25519PrivateKey(hkdf(new Uint8Array(0), wire, LABEL))
  return (shared) => x25519(tweak, shared)
}

export class SshEd25519Recipient implements Recipient {
  private readonly wire: Buffer
  private readonly montgomery: Buffer
  constructor(line: string) {
    const { wire, key } = parseSshPublicKey(line)
    this.wire = wire
    this.montgomery = edwardsToMontgomery(key)
  }
  wrapFileKey(fileKey: Uint8Array): Stanza[] {
    const { share, body } = wrapX25519(fileKey, this.montgomery, LABEL, tweaker(this.wire))
    return [{ type: 'ssh-ed25519', args: [tagOf(this.wire), share], body }]
  }
}

interface Ed25519Private {
  seed: Buffer
  publicKey: Buffer
  wire: Buffer
}

/**
 * Reads an OpenSSH private key file (openssh-key-v1). Only ed25519 keys; encrypted keys need
 * bcrypt-pbkdf, which is not implemented: the error says how to get past it.
 * https://github.com/openssh/openssh-portable/blob/master/PROTOCOL.key
 */
export function parseOpenSshPrivateKey(pem: string): Ed25519Private {
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(pem)
  if (!m) throw new AgeError('bad-key', 'not an OpenSSH private key')
  const buf = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')
  const magic = Buffer.from('openssh-key-v1\0', 'latin1')
  if (!buf.subarray(0, magic.length).equals(magic)) throw new AgeError('bad-key', 'not an openssh-key-v1 private key')
  let offset = magic.length
  const [cipher, o1] = readString(buf, offset)
  const [kdf, o2] = readString(buf, o1)
  const [, o3] = readString(buf, o2)
  offset = o3
  if (cipher.toString() !== 'none' || kdf.toString() !== 'none') {
    throw new AgeError(
      'unsupported',
      'passphrase-protected OpenSSH keys are not supported yet; convert it once with `git-seal ssh-to-age --private` after `ssh-keygen -p -N ""` on a copy, or use SOPS_AGE_KEY_CMD',
    )
  }
  if (buf.readUInt32BE(offset) !== 1) throw new AgeError('bad-key', 'SSH key files with several keys are not supported')
  const [wire, o4] = readString(buf, offset + 4)
  const [priv] = readString(buf, o4)
  if (priv.readUInt32BE(0) !== priv.readUInt32BE(4)) throw new AgeError('bad-key', 'SSH private key check bytes differ')
  const [type, p1] = readString(priv, 8)
  if (type.toString() !== 'ssh-ed25519')
    throw new AgeError('unsupported', `${type.toString()} SSH keys are not supported; use an ed25519 key`)
  const [publicKey, p2] = readString(priv, p1)
  const [secret] = readString(priv, p2)
  if (publicKey.length !== 32 || secret.length !== 64) throw new AgeError('bad-key', 'invalid ssh-ed25519 private key')
  return { seed: Buffer.from(secret.subarray(0, 32)), publicKey: Buffer.from(publicKey), wire: Buffer.from(wire) }
}

/** The X25519 scalar of an ed25519 seed, as ssh-to-age and age compute it: SHA-512(seed)[:32]. */
function montgomeryScalar(seed: Uint8Array): Buffer {
  return createHash('sha512').update(seed).digest().subarray(0, 32)
}

export class SshEd25519Identity implements Identity {
  private readonly privateKey
  private readonly montgomery: Buffer
  private readonly tag: string
  private readonly tweak: (shared: Buffer) => Buffer
  constructor(key: Ed25519Private) {
    this.privateKey = x25519PrivateKey(montgomeryScalar(key.seed))
    this.montgomery = edwardsToMontgomery(key.publicKey)
    this.tag = tagOf(key.wire)
    this.tweak = tweaker(key.wire)
  }
  unwrapFileKey(stanzas: Stanza[]): Uint8Array | null {
    for (const s of stanzas) {
      if (s.type !== 'ssh-ed25519') continue
      if (s.args.length !== 2) throw new AgeError('bad-header', 'ssh-ed25519 stanza has the wrong number of arguments')
      decodeBase64(s.args[0]!, 'ssh-ed25519 tag')
      if (s.args[0] !== this.tag) continue
      const key = unwrapX25519(s, s.args[1]!, this.privateKey, this.montgomery, LABEL, this.tweak)
      if (key) {
        if (key.length !== 16) throw new AgeError('bad-header', 'file key has the wrong length')
        return key
      }
    }
    return null
  }
}

/** `ssh-to-age`: the age1… recipient of an ssh-ed25519 public key line. */
export function sshToAgeRecipient(line: string): string {
  return encodeRecipient(edwardsToMontgomery(parseSshPublicKey(line).key))
}

/** `ssh-to-age -private-key`: the AGE-SECRET-KEY-1… of an OpenSSH ed25519 private key. */
export function sshToAgeIdentity(pem: string): string {
  return encodeIdentity(montgomeryScalar(parseOpenSshPrivateKey(pem).seed))
}
