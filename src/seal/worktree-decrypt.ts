/**
 * Decrypting the secrets a work tree still holds as stored (install, unlock), and saying
 * exactly what happened. The checkout runs in a git child process whose filter reports to a
 * stderr nobody sees, so the outcome is judged afterwards from the work tree itself: a file
 * that still holds its stored bytes was not decrypted, whatever anyone printed. Why it was not
 * is then worked out here, for those files only.
 */
import { AgeError, hasPluginIdentity } from '../age/index.js'
import { CatFileBatch } from '../git/objects.js'
import { WorktreeReader, checkoutAgain, filesHoldingStoredBytes, secretEntries } from '../git/worktree.js'
import type { IndexEntry } from '../git/plumbing.js'
import type { IdentitySet } from '../keys/identities.js'
import { NoSopsKeyError, openStored, storedKind } from './stored.js'
import { prefetchStored } from './plugin-batch.js'

/** Why a secret was left encrypted. */
export type KeptReason =
  /** no identity at all: no key file, SOPS_AGE_KEY unset, or every source failed */
  | 'no-key'
  /** identities, but none is among the blob's recipients */
  | 'not-for-you'
  /** the blob does not decrypt: truncated, altered, a header over the limits */
  | 'damaged'
  /** the clone is locked: `git-seal unlock` decrypts */
  | 'locked'
  /** the filter kept it as stored for a reason of its own (attributes, a failure mid-checkout) */
  | 'filter'

export interface KeptFile {
  path: string
  reason: KeptReason
  /** one phrase for messages; never any secret */
  detail: string
}

export interface DecryptOutcome {
  /** files that held their stored bytes and now hold something else: the plaintext */
  decrypted: string[]
  /** files that still hold their stored ciphertext */
  kept: KeptFile[]
  /** secret paths whose stored blob is not encrypted at all: there was nothing to decrypt */
  unencrypted: string[]
}

const DETAIL: Record<Exclude<KeptReason, 'damaged'>, string> = {
  'no-key': 'no age identity found',
  'not-for-you': 'not encrypted to any of your identities',
  locked: 'this clone is locked',
  filter: 'the filter kept it as stored',
}

function kept(path: string, reason: Exclude<KeptReason, 'damaged'>): KeptFile {
  return { path, reason, detail: DETAIL[reason] }
}

/** Why a blob that the checkout left as stored does not open here. */
function explain(path: string, content: Uint8Array, identities: IdentitySet): KeptFile {
  try {
    openStored(path, content, identities.identities)
    return kept(path, 'filter')
  } catch (e) {
    if ((e instanceof AgeError && e.code === 'no-identity') || e instanceof NoSopsKeyError)
      return kept(path, 'not-for-you')
    return { path, reason: 'damaged', detail: `damaged ciphertext (${(e as Error).message})` }
  }
}

async function blobs(root: string, entries: IndexEntry[]): Promise<Map<string, Uint8Array>> {
  const objects = new CatFileBatch(root)
  try {
    const found = await Promise.all(entries.map(async (e) => [e.path, await objects.get(e.oid)] as const))
    return new Map(
      found.flatMap(([path, object]) =>
        object?.type === 'blob' ? [[path, object.content] as [string, Uint8Array]] : [],
      ),
    )
  } finally {
    objects.close()
  }
}

/**
 * Checks out again, through the filter, every secret whose work-tree file still holds its
 * stored ciphertext (locally edited files and symbolic links are never touched), then reads
 * the work tree to tell what was really decrypted.
 * @param locked the clone is locked: nothing is checked out, everything is reported kept.
 * @throws {GitError} when git itself fails.
 */
export async function decryptWorktree(root: string, identities: IdentitySet, locked: boolean): Promise<DecryptOutcome> {
  const outcome: DecryptOutcome = { decrypted: [], kept: [], unencrypted: [] }
  // `worktree: ciphertext` secrets hold their stored bytes by design: nothing to decrypt there.
  const stale = filesHoldingStoredBytes(
    root,
    secretEntries(root, { plaintextWorktree: true }),
    new WorktreeReader(root),
  )
  const stored = await blobs(root, stale)
  const candidates: IndexEntry[] = []
  for (const entry of stale) {
    const content = stored.get(entry.path)
    if (content && storedKind(entry.path, content) === 'plaintext') outcome.unencrypted.push(entry.path)
    else candidates.push(entry)
  }
  if (locked || identities.identities.length === 0) {
    outcome.kept = candidates.map((e) => kept(e.path, locked ? 'locked' : 'no-key'))
    return outcome
  }
  checkoutAgain(
    root,
    candidates.map((e) => e.path),
    // A plugin key opens every file in one session only through git's delay (seal/plugin-batch.ts).
    { delayed: hasPluginIdentity(identities.identities) },
  )
  const still = new Set(filesHoldingStoredBytes(root, candidates, new WorktreeReader(root)).map((e) => e.path))
  // Why each was left encrypted is found by opening it here: one plugin session for all of them.
  prefetchStored(
    identities.identities,
    candidates.flatMap((e) =>
      still.has(e.path) && stored.has(e.path) ? [{ path: e.path, bytes: stored.get(e.path)! }] : [],
    ),
  )
  for (const entry of candidates) {
    if (!still.has(entry.path)) outcome.decrypted.push(entry.path)
    else {
      const content = stored.get(entry.path)
      outcome.kept.push(
        content
          ? explain(entry.path, content, identities)
          : { path: entry.path, reason: 'damaged', detail: 'its blob is missing from the object store' },
      )
    }
  }
  return outcome
}
