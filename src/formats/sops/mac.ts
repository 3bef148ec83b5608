/**
 * sops's MAC (docs/sops-format.md §2, sops.go `Tree.Encrypt`/`Decrypt`, cmd/sops/common `EncryptTree`): SHA-512
 * over the canonical bytes of every leaf value in document order, no separators, stored as
 * uppercase hex encrypted with the data key and `lastmodified` as additional data.
 */
import { createHash, type Hash } from 'node:crypto'
import { openValue, sealValue } from './cipher.js'
import { SopsError } from './errors.js'
import { parseRfc3339 } from './values.js'

/** SHA-256("sops"): what the hash starts with under `mac_only_encrypted` (sops.go `MACOnlyEncryptedInitialization`). */
const MAC_ONLY_ENCRYPTED_INIT = Buffer.from('8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69', 'hex')

export class MacHasher {
  private readonly hash: Hash = createHash('sha512')

  constructor(macOnlyEncrypted: boolean) {
    if (macOnlyEncrypted) this.hash.update(MAC_ONLY_ENCRYPTED_INIT)
  }

  add(bytes: string | Uint8Array): void {
    this.hash.update(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes)
  }

  /** Go `fmt.Sprintf("%X", sum)`. */
  hex(): string {
    return this.hash.digest('hex').toUpperCase()
  }
}

/** `time.Now().UTC().Format(time.RFC3339)`: what sops writes as `lastmodified`. */
export function formatLastModified(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z')
}

/**
 * The MAC's additional data: sops re-formats the parsed `lastmodified` as RFC 3339 (whole
 * seconds, the offset kept) rather than using the stored text.
 * @throws {SopsError} 'parse' when `lastmodified` is not an RFC 3339 time.
 */
export function macAdditionalData(lastmodified: string): string {
  const canonical = parseRfc3339(lastmodified)
  if (canonical === null) throw new SopsError('parse', 'sops metadata: lastmodified is not an RFC 3339 time')
  return canonical.replace(/\.\d+/, '')
}

export function sealMac(hex: string, key: Uint8Array, lastmodified: string): string {
  return sealValue(hex, 'str', key, macAdditionalData(lastmodified))
}

/**
 * The MAC recorded in a file, decrypted.
 * @throws {SopsError} 'bad-mac' when it is missing or does not decrypt.
 */
export function openMac(mac: string, key: Uint8Array, lastmodified: string): string {
  if (mac === '') throw new SopsError('bad-mac', 'the file has no MAC')
  try {
    const opened = openValue(mac, key, macAdditionalData(lastmodified), 'the MAC')
    return opened.plaintext.toString('utf8')
  } catch (e) {
    if (e instanceof SopsError && e.code === 'bad-value') throw new SopsError('bad-mac', `${e.message}`)
    throw e
  }
}
