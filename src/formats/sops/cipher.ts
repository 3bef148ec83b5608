/**
 * sops value encryption (docs/sops-format.md §1, aes/cipher.go): AES-256-GCM with a 32-byte random IV and a
 * 16-byte tag, written as `ENC[AES256_GCM,data:<b64>,iv:<b64>,tag:<b64>,type:<t>]`, with the
 * value's key path as additional data.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { SopsError } from './errors.js'

/** sops's parser, unanchored at the end as in aes/cipher.go (`encre`). */
const ENC_RE = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/
const B64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** sops uses a 32-byte GCM nonce (`nonceSize`), not the usual 12. */
export const IV_BYTES = 32
const TAG_BYTES = 16

/** Whether a string is an encrypted sops value (sops's own test: its regex matches). */
export const isEncryptedValue = (s: string): boolean => ENC_RE.test(s)

export interface Opened {
  readonly type: string
  readonly plaintext: Buffer
}

/**
 * Encrypts `plaintext` as a sops value of `type`. `iv` is only for reusing the IV of an identical
 * (plaintext, type, additional data) triple, which keeps the ciphertext identical.
 */
export function sealValue(
  plaintext: Uint8Array | string,
  type: string,
  key: Uint8Array,
  ad: string,
  iv: Uint8Array = randomBytes(IV_BYTES),
): string {
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES })
  cipher.setAAD(Buffer.from(ad, 'utf8'))
  const data = Buffer.concat([
    cipher.update(typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext),
    cipher.final(),
  ])
  const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64')
  return `ENC[AES256_GCM,data:${b64(data)},iv:${b64(iv)},tag:${b64(cipher.getAuthTag())},type:${type}]`
}

/**
 * Decrypts a sops value; `what` names it in errors (never the value).
 * @throws {SopsError} 'bad-value' when it is not a sops value or fails authentication.
 */
export function openValue(value: string, key: Uint8Array, ad: string, what: string): Opened {
  const m = ENC_RE.exec(value)
  if (!m) throw new SopsError('bad-value', `${what} is not an encrypted sops value`)
  const parts = [m[1], m[2], m[3]].map((p) => (p !== undefined && B64_RE.test(p) ? Buffer.from(p, 'base64') : null))
  const [data, iv, tag] = parts
  if (!data || !iv || !tag || iv.length === 0 || tag.length !== TAG_BYTES) {
    throw new SopsError('bad-value', `${what} is a malformed sops value`)
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES })
    decipher.setAAD(Buffer.from(ad, 'utf8'))
    decipher.setAuthTag(tag)
    return { type: m[4] ?? '', plaintext: Buffer.concat([decipher.update(data), decipher.final()]) }
  } catch {
    throw new SopsError(
      'bad-value',
      `${what} does not decrypt with this file's data key (tampered, moved, or another key)`,
    )
  }
}
