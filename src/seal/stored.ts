/**
 * What a stored blob is, and opening it, whatever its format: the one place textconv, merge,
 * status, guard and verify learn to read a blob.
 */
import { decrypt, describeStanzas, looksLikeAge, readHeader, type Identity } from '../age/index.js'

export type StoredKind = 'age' | 'sops' | 'plaintext'

/** Classifies stored bytes without any key. */
export function storedKind(_path: string, bytes: Uint8Array): StoredKind {
  if (looksLikeAge(bytes)) return 'age'
  return 'plaintext'
}

/** True when the bytes are a well-formed encrypted file (what the guard requires of a secret). */
export function isCiphertext(path: string, bytes: Uint8Array): boolean {
  return storedKind(path, bytes) !== 'plaintext'
}

/**
 * The plaintext of a stored blob; plaintext input comes back as is.
 * @throws {AgeError} when no identity opens it or it is damaged.
 */
export function openStored(path: string, bytes: Uint8Array, identities: Identity[]): Uint8Array {
  switch (storedKind(path, bytes)) {
    case 'age':
      return decrypt(bytes, identities)
    default:
      return bytes
  }
}

/** One line standing in for a file nobody here can decrypt: its format and recorded recipients. */
export function placeholder(path: string, bytes: Uint8Array, reason: string): string {
  const kind = storedKind(path, bytes)
  let recipients = ''
  if (kind === 'age') {
    try {
      recipients = ` for ${describeStanzas(readHeader(bytes).stanzas).join(', ')}`
    } catch {
      recipients = ''
    }
  }
  return `[git-seal: ${kind} file${recipients}, ${bytes.length} bytes; ${reason}]\n`
}
