/**
 * `git-seal lock [--force]` puts ciphertext back in the work tree for every secret and marks
 * the clone locked (smudge then keeps ciphertext even with a key at hand); `git-seal unlock`
 * clears the mark and decrypts again (`-i KEYFILE`: with that identity too, for this run only).
 * `git status` stays clean across both.
 */
import { rmSync, writeFileSync } from 'node:fs'
import { repoPaths, stateDir } from '../git/repo.js'
import { stateFile } from '../git/state-dir.js'
import { checkoutAgain, secretEntries, uncommittedSecrets } from '../git/worktree.js'
import { loadIdentities } from '../keys/identities.js'
import { identityFileEnv } from '../keys/keyfile.js'
import { Fingerprints } from '../seal/fingerprints.js'
import { sweepPrivateDirs } from '../seal/private-tmp.js'
import { decryptWorktree } from '../seal/worktree-decrypt.js'
import { UserError, error, info, warning } from '../ui.js'
import { UsageError, bareRepositoryError } from '../errors.js'
import { reportDecryption } from './install.js'

function root(): { top: string; state: string } {
  const paths = repoPaths()
  if (!paths.top) throw bareRepositoryError()
  const state = stateDir(paths, true)
  sweepPrivateDirs(state)
  return { top: paths.top, state }
}

/** "a, b, c, …" for messages naming files. */
export function someNames(paths: string[], max = 5): string {
  return paths.slice(0, max).join(', ') + (paths.length > max ? ', …' : '')
}

export function lock({ values }: { values: { force?: boolean } }): number {
  const { top, state } = root()
  const secrets = secretEntries(top)
  const { changed, untracked } = uncommittedSecrets(top)
  if (!values.force && changed.length > 0) {
    throw new UserError(`${changed.length} secret file(s) have changes not staged: ${someNames(changed)}`, "stage or commit them first ('git add'), or 'git-seal lock --force' to discard those edits")
  }
  writeFileSync(stateFile(state, 'locked'), 'locked by git-seal lock\n')
  // With no plaintext left in the work tree, fingerprints would only help someone test guesses.
  Fingerprints.erase(state)
  const locked = checkoutAgain(
    top,
    secrets.map((s) => s.path),
  )
  info(`locked: ${locked.length} secret file(s) hold ciphertext; 'git-seal unlock' decrypts them`)
  const skipped = secrets.length - locked.length
  if (skipped > 0) warning(`${skipped} secret path(s) lie under a symbolic link and were left alone`)
  if (untracked.length > 0) {
    warning(`${untracked.length} secret file(s) not in git stay plaintext: ${someNames(untracked)}`, "'git add' them to store them encrypted, or move them out of the work tree")
  }
  return 0
}

/**
 * Clears the lock and decrypts every secret still holding ciphertext. Fails (exit 1) when it
 * left a file encrypted for want of a usable key (none found, or a key source that failed) or
 * because the blob is damaged, and when it decrypted nothing at all of what it found encrypted.
 */
export async function unlock({ values, positionals }: { values: { identity?: string }; positionals: string[] }): Promise<number> {
  // `-i KEYFILE`, or KEYFILE alone (git-crypt's `unlock KEYFILE` habit): one more identity for this run.
  const keyFile = values.identity ?? positionals[0]
  if (values.identity !== undefined && positionals.length > 0) throw new UsageError('give the key file once: -i KEYFILE or KEYFILE')
  if (keyFile !== undefined) Object.assign(process.env, identityFileEnv(keyFile))
  const { top, state } = root()
  rmSync(stateFile(state, 'locked'), { force: true })
  const identities = loadIdentities()
  for (const problem of identities.problems) warning(problem)
  const outcome = await decryptWorktree(top, identities, false)
  reportDecryption(outcome, info)
  const failed =
    outcome.kept.some((k) => k.reason === 'no-key' || k.reason === 'damaged') ||
    (outcome.kept.length > 0 && (outcome.decrypted.length === 0 || identities.problems.length > 0))
  if (failed) {
    error(`unlock left ${outcome.kept.length} secret file(s) encrypted`)
    return 1
  }
  info(outcome.decrypted.length > 0 || outcome.kept.length > 0 ? 'unlocked' : 'unlocked: no secret file held ciphertext')
  return 0
}

export const run = lock
