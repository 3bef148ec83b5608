/**
 * The primitives age is built from, on node:crypto: X25519, HKDF-SHA-256, HMAC-SHA-256,
 * ChaCha20-Poly1305; strict unpadded base64 from @scure/base. https://github.com/C2SP/C2SP/blob/main/age.md
 */
import { base64nopad } from '@scure/base'
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hkdfSync,
  randomFillSync,
  type KeyObject,
} from 'node:crypto'
import { AgeError } from './errors.js'

/**
 * An identity's scalar as a key node:crypto uses. JWK, like {@link ephemeralKeyPair}: a PKCS#8
 * import costs ten times more, and the first one in a process also sets up OpenSSL's decoders
 * (up to 10 ms), which every filter start that opens a file paid.
 */
export function x25519PrivateKey(scalar: Uint8Array): KeyObject {
  return createPrivateKey({
    key: { kty: 'OKP', crv: 'X25519', d: Buffer.from(scalar).toString('base64url'), x: DUMMY_X },
    format: 'jwk',
  })
}

// Public keys go through JWK: node imports and exports it about ten times faster than DER,
// and the filter does one of each per file.
export function x25519PublicKey(point: Uint8Array): KeyObject {
  if (point.length !== 32) throw new AgeError('bad-header', 'X25519 point has the wrong length')
  return createPublicKey({
    key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(point).toString('base64url') },
    format: 'jwk',
  })
}

// Recipients' public keys, imported once: a filter wraps a thousand files for the same few.
const recipientKeys = new Map<string, KeyObject>()

function recipientKey(point: Uint8Array): KeyObject {
  const id = Buffer.from(point).toString('base64')
  let key = recipientKeys.get(id)
  if (!key) {
    key = x25519PublicKey(point)
    if (recipientKeys.size >= 256) recipientKeys.clear()
    recipientKeys.set(id, key)
  }
  return key
}

export function rawPublicKey(key: KeyObject): Buffer {
  return Buffer.from(key.export({ format: 'jwk' }).x ?? '', 'base64url')
}

/**
 * X25519(scalar, point), refusing the all-zero output of a low-order point. `reusedPoint`
 * marks a recipient's public key, whose import is cached (an ephemeral share never recurs).
 */
export function x25519(privateKey: KeyObject, point: Uint8Array, reusedPoint = false): Buffer {
  let shared: Buffer
  try {
    shared = diffieHellman({ privateKey, publicKey: reusedPoint ? recipientKey(point) : x25519PublicKey(point) })
  } catch {
    throw new AgeError('bad-header', 'invalid X25519 point')
  }
  // OR of every byte: no early exit, and no callback per byte (Buffer#every cost ~8 µs a file).
  let any = 0
  for (let i = 0; i < shared.length; i++) any |= shared[i]!
  if (any === 0) throw new AgeError('bad-header', 'X25519 shared secret is zero (low-order point)')
  return shared
}

// A dummy `x` for JWK imports of a private scalar: node requires the member but derives the
// public key from `d` alone (test/age/primitives.test.ts checks that).
const DUMMY_X = Buffer.alloc(32, 9).toString('base64url')

/**
 * An ephemeral X25519 key pair for one wrap: a random scalar, and its public share, X25519(scalar, 9),
 * which OpenSSL derives on import and the JWK export returns. Not generateKeyPairSync: on Node 20 a
 * GC that finalises its key-generation job while another key of that job is being exported
 * deadlocks the process (seen under load, in a filter serving 10,000 files). The JWK import is ten
 * times cheaper than a PKCS#8 one.
 */
export function ephemeralKeyPair(): { privateKey: KeyObject; share: Buffer } {
  const scalar = randomBytes(32)
  const d = scalar.toString('base64url')
  scalar.fill(0)
  const privateKey = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d, x: DUMMY_X }, format: 'jwk' })
  const share = Buffer.from(privateKey.export({ format: 'jwk' }).x ?? '', 'base64url')
  if (share.length !== 32) throw new AgeError('bad-key', 'could not derive an X25519 share')
  return { privateKey, share }
}

// Random bytes are taken from a pool refilled 4 KiB at a time: one getrandom call serves a
// hundred files instead of three per file. Bytes handed out are wiped from the pool.
const pool = Buffer.alloc(4096)
let poolOffset = pool.length

/** `n` fresh random bytes (a copy the caller owns). */
export function randomBytes(n: number): Buffer {
  if (n > pool.length) return randomFillSync(Buffer.alloc(n))
  if (poolOffset + n > pool.length) {
    randomFillSync(pool)
    poolOffset = 0
  }
  const out = Buffer.from(pool.subarray(poolOffset, poolOffset + n))
  pool.fill(0, poolOffset, poolOffset + n)
  poolOffset += n
  return out
}

/**
 * HKDF-SHA-256 (RFC 5869). Outputs of one block (every use in age) are two HMACs, half the
 * cost of node's hkdfSync for inputs this small.
 */
export function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string, length = 32): Buffer {
  if (length > 32) return Buffer.from(hkdfSync('sha256', ikm, salt, info, length))
  const prk = createHmac('sha256', salt.length ? salt : ZERO_SALT)
    .update(ikm)
    .digest()
  const okm = createHmac('sha256', prk).update(info, 'latin1').update(ONE).digest()
  prk.fill(0)
  return length === 32 ? okm : okm.subarray(0, length)
}

const ZERO_SALT = Buffer.alloc(32)
const ONE = Buffer.from([1])

export function hmac(key: Uint8Array, data: Uint8Array): Buffer {
  return createHmac('sha256', key).update(data).digest()
}

const ZERO_NONCE = Buffer.alloc(12)

/** ChaCha20-Poly1305 seal; the tag is appended. */
export function seal(key: Uint8Array, plaintext: Uint8Array, nonce: Uint8Array = ZERO_NONCE): Buffer {
  return Buffer.concat(sealParts(key, plaintext, nonce))
}

/**
 * {@link seal} of a plaintext given in pieces, returned as pieces ending with the tag: a 64 KiB
 * chunk that arrived in two packets is never joined or copied.
 */
export function sealParts(
  key: Uint8Array,
  plaintext: Uint8Array | Uint8Array[],
  nonce: Uint8Array = ZERO_NONCE,
): Buffer[] {
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 })
  const out: Buffer[] = []
  for (const piece of Array.isArray(plaintext) ? plaintext : [plaintext])
    if (piece.length) out.push(cipher.update(piece))
  const rest = cipher.final() // empty for a stream cipher
  if (rest.length) out.push(rest)
  out.push(cipher.getAuthTag())
  return out
}

/**
 * {@link open} of a sealed chunk given in pieces (the tag may straddle two); the plaintext comes
 * back in pieces, and only once the tag verified. Null when it does not.
 */
export function openParts(key: Uint8Array, sealed: Uint8Array[], nonce: Uint8Array): Buffer[] | null {
  const total = sealed.reduce((n, p) => n + p.length, 0)
  if (total < 16) return null
  const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 })
  const out: Buffer[] = []
  const tag = Buffer.alloc(16)
  let at = 0
  for (const piece of sealed) {
    const bodyEnd = Math.max(0, Math.min(piece.length, total - 16 - at))
    if (bodyEnd > 0) out.push(decipher.update(piece.subarray(0, bodyEnd)))
    if (bodyEnd < piece.length)
      Buffer.from(piece.buffer, piece.byteOffset + bodyEnd, piece.length - bodyEnd).copy(
        tag,
        at + bodyEnd - (total - 16),
      )
    at += piece.length
  }
  decipher.setAuthTag(tag)
  try {
    const rest = decipher.final()
    if (rest.length) out.push(rest)
    return out
  } catch {
    for (const piece of out) piece.fill(0)
    return null
  }
}

/** ChaCha20-Poly1305 open; null when the tag does not verify. */
export function open(key: Uint8Array, sealed: Uint8Array, nonce: Uint8Array = ZERO_NONCE): Buffer | null {
  const pieces = openParts(key, [sealed], nonce)
  if (!pieces) return null
  return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces)
}

/**
 * Canonical unpadded base64 (age's encoding): @scure/base's decoder refuses padding, other
 * alphabets, whitespace and non-zero trailing bits, so each value has exactly one spelling.
 * @throws {AgeError} bad-header for any other text.
 */
export function decodeBase64(text: string, what: string): Buffer {
  let bytes: Uint8Array
  try {
    bytes = base64nopad.decode(text)
  } catch {
    throw new AgeError('bad-header', `${what} is not canonical base64`)
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

export function encodeBase64(bytes: Uint8Array): string {
  return base64nopad.encode(bytes)
}
