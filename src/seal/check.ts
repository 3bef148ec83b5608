/**
 * The plaintext check shared by the guard (the index) and verify (history): which secrets are
 * stored in plaintext. Batched: one cat-file process, every lookup pipelined.
 */
import { matchingSecrets, type SealConfig } from '../config/index.js'
import type { CatFileBatch, GitObject } from '../git/objects.js'
import { isCiphertext } from './stored.js'

export interface BlobToCheck {
  path: string
  oid: string
  /** true when .gitattributes marks it filter=git-seal, whatever the config says */
  filtered?: boolean
}

export interface PlaintextFinding {
  path: string
  oid: string
}

/** Paths that are secrets by the config or by their filter attribute. */
export function isSecretPath(config: SealConfig | null, path: string, filtered = false): boolean {
  return filtered || (config !== null && matchingSecrets(config, path).length > 0)
}

/**
 * True when a secret's stored object is plaintext. A missing object (a partial clone) cannot be
 * judged here, and is not flagged.
 */
export function isStoredPlaintext(path: string, object: GitObject | null): boolean {
  return object !== null && object.type === 'blob' && !isCiphertext(path, object.content)
}

/**
 * Blobs among `blobs` that are not ciphertext. `checked` remembers oids across calls (a blob
 * judged once need not be read again).
 */
export async function findPlaintext(objects: CatFileBatch, blobs: BlobToCheck[], checked = new Map<string, boolean>()): Promise<PlaintextFinding[]> {
  const pending = blobs.map(async (b) => {
    let ok = checked.get(b.oid)
    if (ok === undefined) {
      ok = !isStoredPlaintext(b.path, await objects.get(b.oid))
      checked.set(b.oid, ok)
    }
    return ok ? null : { path: b.path, oid: b.oid }
  })
  return (await Promise.all(pending)).filter((f): f is PlaintextFinding => f !== null)
}
