/**
 * `lock` puts ciphertext back in the work tree for every secret and marks the clone locked
 * (smudge then keeps ciphertext even with a key at hand); `unlock` clears the mark and decrypts
 * again (with one more key file for this run, if given). `git status` stays clean across both.
 */
import { rmSync, writeFileSync } from 'node:fs'
import { repoPaths, stateDir } from '../git/repo.js'
import { stateFile } from '../git/state-dir.js'
import { checkoutAgain, secretEntries, uncommittedSecrets } from '../git/worktree.js'
import { loadIdentities } from '../keys/identities.js'
import { identityFileEnv } from '../keys/keyfile.js'
import { PlaintextMacs } from '../seal/plaintext-macs.js'
import { sweepPrivateDirs } from '../seal/private-tmp.js'
import { decryptWorktree, type DecryptOutcome } from '../seal/worktree-decrypt.js'
import { UserError, someNames, warning } from '../ui.js'
import { bareRepositoryError } from '../errors.js'

function root(): { top: string; state: string } {
  const paths = repoPaths()
  if (!paths.top) throw bareRepositoryError()
  const state = stateDir(paths, true)
  sweepPrivateDirs(state)
  return { top: paths.top, state }
}

/** What {@link lock} did. */
export interface LockResult {
  /** secret paths that hold ciphertext now */
  locked: string[]
  /** how many secret paths lie under a symbolic link and were left alone */
  skipped: number
  /** secret files not in git, left in plaintext */
  untracked: string[]
}

/**
 * `lock`: every secret checked out again as ciphertext, the clone marked locked.
 * @throws {UserError} when the repository is bare, or (without `force`) a secret has changes not staged.
 */
export function lock(options: { force?: boolean } = {}): LockResult {
  const { top, state } = root()
  const secrets = secretEntries(top)
  const { changed, untracked } = uncommittedSecrets(top)
  if (!options.force && changed.length > 0) {
    throw new UserError(
      `${changed.length} secret file(s) have changes not staged: ${someNames(changed)}`,
      "stage or commit them first ('git add'), or 'git-seal lock --force' to discard those edits",
    )
  }
  writeFileSync(stateFile(state, 'locked'), 'locked by git-seal lock\n')
  // With no plaintext left in the work tree, fingerprints would only help someone test guesses.
  PlaintextMacs.erase(state)
  const locked = checkoutAgain(
    top,
    secrets.map((s) => s.path),
  )
  return { locked, skipped: secrets.length - locked.length, untracked }
}

/** What {@link unlock} did. */
export interface UnlockResult {
  decryption: DecryptOutcome
  /**
   * true when it left a file encrypted for want of a usable key (none found, or a key source
   * that failed) or because the blob is damaged, or decrypted nothing at all of what it found
   * encrypted
   */
  failed: boolean
}

/**
 * `unlock`: clears the lock and decrypts every secret still holding ciphertext; `keyFile` is
 * one more identity for this run. Identity problems are warned about as they are found.
 * @throws {UserError} when the repository is bare.
 */
export async function unlock(options: { keyFile?: string } = {}): Promise<UnlockResult> {
  if (options.keyFile !== undefined) Object.assign(process.env, identityFileEnv(options.keyFile))
  const { top, state } = root()
  rmSync(stateFile(state, 'locked'), { force: true })
  const identities = loadIdentities()
  for (const problem of identities.problems) warning(problem)
  const outcome = await decryptWorktree(top, identities, false)
  const failed =
    outcome.kept.some((k) => k.reason === 'no-key' || k.reason === 'damaged') ||
    (outcome.kept.length > 0 && (outcome.decrypted.length === 0 || identities.problems.length > 0))
  return { decryption: outcome, failed }
}
