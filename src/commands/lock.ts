/**
 * `git-seal lock [--force]`: puts ciphertext back in the work tree for every secret and marks
 * the clone locked (src/operations/lock.ts); `git-seal unlock` (unlock.ts) decrypts again.
 */
import { lock } from '../operations/lock.js'
import { info, someNames, warning } from '../ui.js'

export function run({ values }: { values: { force?: boolean } }): number {
  const { locked, skipped, untracked } = lock({ force: values.force === true })
  info(`locked: ${locked.length} secret file(s) hold ciphertext; 'git-seal unlock' decrypts them`)
  if (skipped > 0) warning(`${skipped} secret path(s) lie under a symbolic link and were left alone`)
  if (untracked.length > 0) {
    warning(
      `${untracked.length} secret file(s) not in git stay plaintext: ${someNames(untracked)}`,
      "'git add' them to store them encrypted, or move them out of the work tree",
    )
  }
  return 0
}
