/**
 * `git-seal uninstall [--keep-plaintext]`: puts ciphertext back in the work tree, then removes
 * exactly what install added (config rows, guard hooks, launcher, bundle, state).
 *
 * Without the filter, git stores work-tree files as they are: a decrypted secret left behind
 * would go into history in plaintext with the next `git add`, `commit -a` or `git stash`. So
 * every secret is checked out again as ciphertext first, the way `lock` does it, and a secret
 * with changes git does not have yet (edited, or never added) stops the uninstall: putting
 * ciphertext back would lose them. `--keep-plaintext` leaves the work tree as it is, and says
 * what that means.
 */
import { writeFileSync } from 'node:fs'
import { removeConfig, removeFiles, runningFilterConfig } from '../git/install.js'
import { removeHooks } from '../git/hooks.js'
import { repoPaths, stateDir } from '../git/repo.js'
import { stateFile } from '../git/state-dir.js'
import { WorktreeReader, checkoutAgain, filesHoldingStoredBytes, secretEntries, uncommittedSecrets } from '../git/worktree.js'
import { Fingerprints } from '../seal/fingerprints.js'
import { sweepPrivateDirs } from '../seal/private-tmp.js'
import { UserError, info, warning } from '../ui.js'
import { bareRepositoryError } from '../errors.js'
import { someNames } from './lock.js'

export function run({ values }: { values: { 'keep-plaintext'?: boolean } }): number {
  const paths = repoPaths()
  const top = paths.top
  if (!top) throw bareRepositoryError()
  const state = stateDir(paths, true)
  sweepPrivateDirs(state)
  const secrets = secretEntries(top)
  let encrypted = 0
  if (!values['keep-plaintext']) {
    // This build's own filter, whatever state the installed copy is in (deleted, outdated).
    const config = runningFilterConfig()
    const { changed, untracked } = uncommittedSecrets(top, { config })
    const pending = [...changed, ...untracked]
    if (pending.length > 0) {
      throw new UserError(
        `${pending.length} secret file(s) have changes git does not have yet: ${someNames(pending)}`,
        "commit or stash them first ('git stash -u' for new files), or 'git-seal uninstall --keep-plaintext' to leave decrypted files in the work tree",
      )
    }
    // Locked: the filter keeps ciphertext on checkout even with a key at hand.
    writeFileSync(stateFile(state, 'locked'), 'locked by git-seal uninstall\n')
    Fingerprints.erase(state)
    checkoutAgain(
      top,
      secrets.map((s) => s.path),
      { config },
    )
    encrypted = filesHoldingStoredBytes(top, secrets, new WorktreeReader(top)).length
    if (encrypted < secrets.length) {
      const left = secrets.length - encrypted
      warning(`${left} secret path(s) could not be put back as ciphertext (symbolic links, or under one); check them before any 'git add'`)
    }
  }
  removeConfig(top)
  removeHooks(top)
  removeFiles(paths)
  if (values['keep-plaintext']) {
    warning(
      'removed the git-seal filter from this clone; decrypted files stay as they are',
      "without the filter 'git add', 'git commit -a' and 'git stash' store them in plaintext: run 'git-seal install' again before any of those",
    )
  } else info(`removed the git-seal filter from this clone; ${encrypted} secret file(s) hold ciphertext`)
  return 0
}
