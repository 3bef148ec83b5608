/**
 * The plaintext check shared by the guard (the index) and verify (history): which secrets are
 * stored in plaintext. Batched: one cat-file process, every lookup pipelined.
 */
import type { Identity } from '../age/index.js'
import { matchingSecrets, type SealConfig } from '../config/index.js'
import type { CatFileBatch, GitObject } from '../git/objects.js'
import type { BlobRecords } from './records.js'
import { isCiphertext, isWrappedConflict, openStored, storedKind } from './stored.js'

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

/** The hint for plaintext found in the work tree of a `worktree: ciphertext` secret. */
export function plaintextWorktreeHint(path: string): string {
  return `'git-seal edit ${path}' changes it and puts ciphertext back in the work tree; 'git checkout HEAD -- ${path}' drops the plaintext`
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
  // An empty blob holds nothing to hide: clean stores an empty secret file that way.
  return object !== null && object.type === 'blob' && object.content.length > 0 && !isCiphertext(path, object.content)
}

/** What the guard finds wrong with one staged secret blob, or 'ok'. */
export type StagedVerdict = 'ok' | 'plaintext' | 'conflict' | 'wrapped' | 'plaintext-worktree' | 'unverified-sops'

/** What the guard knows beyond the blob itself: this clone's records, its keys, a merge's other side. */
export interface StagedEvidence {
  records: BlobRecords
  /** loaded only when a sops blob needs its MAC checked */
  identities(): Identity[]
  /** the blob id at `path` in MERGE_HEAD (a merge in progress), or null */
  mergeHeadBlob(path: string): Promise<string | null>
}

/**
 * Judges a staged secret blob (the pre-commit, pre-merge-commit and pre-applypatch guard):
 * plaintext by structure; a merge's conflicted text (kept whole, or recorded by the merge
 * driver); input clean could not prove ciphertext and wrapped (records.ts); plaintext written
 * into a `worktree: ciphertext` secret's work tree (records.ts); or a sops document that nothing vouches for: not
 * written or checked out by this clone, not the other side of a merge, and no key here verifies
 * its MAC (`git add -p` and `git am` stage with `git apply`, which never runs clean, so a
 * document whose MAC no longer verifies could be committed).
 */
export async function judgeStagedSecret(
  path: string,
  object: GitObject | null,
  evidence: StagedEvidence,
): Promise<StagedVerdict> {
  if (object === null || object.type !== 'blob') return 'ok'
  if (isStoredPlaintext(path, object)) return 'plaintext'
  // A wrapped blob of a structured file is stored whole like a conflicted merge: ask the records first.
  if (evidence.records.isWrapped(object.oid)) return 'wrapped'
  if (evidence.records.isFromPlaintextWorktree(object.oid)) return 'plaintext-worktree'
  if (evidence.records.isConflicted(object.oid) || isWrappedConflict(path, object.content)) return 'conflict'
  if (storedKind(path, object.content) !== 'sops' || evidence.records.isKnown(object.oid)) return 'ok'
  if ((await evidence.mergeHeadBlob(path)) === object.oid) return 'ok'
  const identities = evidence.identities()
  if (identities.length === 0) return 'unverified-sops'
  try {
    openStored(path, object.content, identities)
    return 'ok'
  } catch {
    // No key here opens its data key, or its MAC or a value does not verify: nothing vouches for it.
    return 'unverified-sops'
  }
}

/**
 * Blobs among `blobs` that are not ciphertext. `checked` remembers oids across calls (a blob
 * judged once need not be read again).
 */
export async function findPlaintext(
  objects: CatFileBatch,
  blobs: BlobToCheck[],
  checked = new Map<string, boolean>(),
): Promise<PlaintextFinding[]> {
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
