/**
 * The merge driver's use case (`git-seal merge`, merge.git-seal.driver): merges the plaintext of the three
 * versions with `git merge-file` and writes the result to %A re-encrypted: git stores what %A
 * holds as a blob without running clean, so it must be ciphertext even on conflict. On
 * conflict the encrypted text carries the markers; checkout smudges it into a readable file.
 * https://git-scm.com/docs/gitattributes#_defining_a_custom_merge_driver
 *
 * The three plaintexts exist on disk only inside a private directory (src/seal/private-tmp.ts:
 * 0700 under the git dir, removed before this process exits, on SIGINT/SIGTERM, and by a later
 * run after a SIGKILL). Rebase, cherry-pick, revert, `am -3` and stash pop come through here too.
 *
 * Conflict markers are one character longer than git's `conflict-marker-size` (8 by default):
 * rerere (`rerere.enabled`) finds conflicts by markers of exactly that size in the work-tree
 * file, which for a secret is plaintext, and would keep both sides and the resolution in
 * .git/rr-cache for good. With longer markers it sees no conflict in a secret and records
 * nothing, while it keeps working for every other file.
 *
 * A `worktree: ciphertext` secret merges the same way, and its conflicted result stays
 * ciphertext in the work tree (the ct driver never decrypts): `git-seal edit PATH` opens it with
 * its markers, and re-encrypts the resolution. The blob of a conflicted result is recorded as
 * such, so the guard refuses to commit it unresolved (clean keeps ciphertext it checked out).
 */
import { mergeFile } from '../git/merge-file.js'
import { readFileSync, writeFileSync } from 'node:fs'
import { encryptAge } from '../seal/clean.js'
import { stateDir } from '../git/repo.js'
import { SealContext } from '../seal/context.js'
import { openStored, storedKind } from '../seal/stored.js'
import { configuredKeys, encryptForSops } from '../seal/sops.js'
import { blobId } from '../git/objects.js'
import { effectiveFormat } from '../config/index.js'
import { equalBytes } from '../seal/input.js'
import { createPrivateDir, sweepPrivateDirs, writePrivateFile } from '../seal/private-tmp.js'

/**
 * The names git gives the three sides (`%S`, `%X`, `%Y`: ancestor, ours, theirs), as its own
 * conflict markers show them (`<<<<<<< HEAD`, `>>>>>>> feature`). git 2.44 and later expand
 * them; older ones pass the placeholder through unexpanded, and the sides keep their generic names.
 */
export function sideLabels(args: readonly string[]): { base: string; ours: string; theirs: string } {
  const label = (value: string | undefined, fallback: string): string =>
    value === undefined || value === '' || /^%[SXY]$/.test(value) ? fallback : value
  return { base: label(args[0], 'base'), ours: label(args[1], 'ours'), theirs: label(args[2], 'theirs') }
}

/** What git hands the driver: the three versions' files (%O %A %B), git's marker size (%L), the path (%P). */
export interface MergeRequest {
  base: string
  ours: string
  theirs: string
  markerSize: number
  path: string
  labels: { base: string; ours: string; theirs: string }
}

/** A merge's end: %A holds the (re-encrypted) result, or a side could not be decrypted and %A is untouched. */
export type MergeOutcome =
  | { merged: true; conflicts: number }
  | { merged: false; side: 'base' | 'ours' | 'theirs'; reason: string }

/**
 * Merges the plaintexts of the three versions and writes the result to `request.ours`, encrypted.
 * @returns the conflicts left (0: clean), or the side no key here opens (nothing is written then).
 */
export async function mergeSecret(request: MergeRequest): Promise<MergeOutcome> {
  const { base, ours, theirs, path, labels } = request
  const ctx = SealContext.open()
  // A cheap place to clear what a SIGKILLed earlier merge left: one readdir of the state dir.
  sweepPrivateDirs(stateDir(ctx.paths))
  const stored = { base: readFileSync(base), ours: readFileSync(ours), theirs: readFileSync(theirs) }
  const plain: Record<keyof typeof stored, Uint8Array> = {
    base: new Uint8Array(),
    ours: new Uint8Array(),
    theirs: new Uint8Array(),
  }
  try {
    for (const side of ['base', 'ours', 'theirs'] as const) {
      try {
        plain[side] = openStored(path, stored[side], ctx.keys.identities())
      } catch (e) {
        return { merged: false, side, reason: (e as Error).message }
      }
    }
    const { merged, conflicts } = mergeText(ctx, plain, request.markerSize, labels)
    // Reuse a side's ciphertext when the result equals it: stable blobs, smaller diffs.
    let out: Uint8Array
    if (equalBytes(merged, plain.ours)) out = stored.ours
    else if (equalBytes(merged, plain.theirs) && conflicts === 0) out = stored.theirs
    else {
      const rule = ctx.worktreeConfig.secretFor(path)
      if (effectiveFormat(rule, path) === 'sops') {
        // Marked-up text is no YAML/JSON document: store it whole in sops's binary store.
        const previous = storedKind(path, stored.ours) === 'sops' ? stored.ours : null
        out =
          conflicts > 0
            ? encryptForSops(ctx.keys, path, merged, rule, null, { store: 'binary' })
            : encryptForSops(ctx.keys, path, merged, rule, previous)
      } else out = await encryptAge(ctx.keys, rule, merged)
      if (conflicts > 0) {
        // A `worktree: ciphertext` checkout keeps this ciphertext, and clean keeps what it
        // checked out as proven: only this record lets the guard refuse the unresolved text.
        const format = storedKind(path, out) === 'sops' ? 'sops' : 'age'
        ctx.stored.records.add(
          {
            blob: blobId(out, ctx.paths.objectFormat),
            format,
            recipients: configuredKeys(rule, format),
            path,
            conflicted: true,
          },
          true,
        )
      }
    }
    writeFileSync(ours, out)
    return { merged: true, conflicts }
  } finally {
    for (const side of Object.values(plain)) if (side.length) side.fill?.(0)
    ctx.close()
  }
}

/** git's default conflict-marker-size, for a %L that is missing or not a number. */
const GIT_MARKER_SIZE = 7

/** The marker size for a secret: one more than git's, so rerere never records it (see the top of this file). */
function secretMarkerSize(gitMarkerSize: number): number {
  return (Number.isInteger(gitMarkerSize) && gitMarkerSize > 0 ? gitMarkerSize : GIT_MARKER_SIZE) + 1
}

function mergeText(
  ctx: SealContext,
  plain: Record<'base' | 'ours' | 'theirs', Uint8Array>,
  markerSize: number,
  labels: { base: string; ours: string; theirs: string },
): { merged: Buffer; conflicts: number } {
  const dir = createPrivateDir(stateDir(ctx.paths, true), 'merge')
  try {
    const [ours, base, theirs] = (['ours', 'base', 'theirs'] as const).map((side) =>
      writePrivateFile(dir, side, plain[side]),
    ) as [string, string, string]
    return mergeFile(ctx.root, { ours, base, theirs }, labels, secretMarkerSize(markerSize))
  } finally {
    dir.remove()
  }
}
