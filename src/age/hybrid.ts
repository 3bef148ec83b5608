/**
 * Post-quantum hybrid recipients (`age1pq1…`, ML-KEM-768 + X25519, age 1.3+), through
 * age-encryption (typage), which implements them; loaded only when a rule names one. Our own
 * recipient objects (X25519, ssh-ed25519) plug into its Encrypter through an adapter: its
 * Stanza keeps the type as the first argument.
 */
import type { Recipient } from './types.js'

export function isHybridRecipient(key: string): boolean {
  return key.trim().startsWith('age1pq1')
}

/**
 * True when a hybrid recipient holds only bech32 characters after `age1pq1`. Its checksum and
 * length are checked by age-encryption when a file is encrypted to it (loaded on first use).
 */
export function isWellFormedHybridRecipient(key: string): boolean {
  return /^age1pq1[02-9ac-hj-np-z]+$/.test(key.trim())
}

/** Encrypts to hybrid recipient strings plus any of our own recipient objects. */
export async function encryptHybrid(plaintext: Uint8Array, hybrid: string[], others: Recipient[]): Promise<Uint8Array> {
  const { Encrypter, Stanza } = await import('age-encryption')
  const encrypter = new Encrypter()
  for (const key of hybrid) encrypter.addRecipient(key.trim())
  for (const r of others) {
    encrypter.addRecipient({
      wrapFileKey: (fileKey) => r.wrapFileKey(fileKey).map((s) => new Stanza([s.type, ...s.args], s.body)),
    })
  }
  return encrypter.encrypt(plaintext)
}
