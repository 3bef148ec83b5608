/**
 * `git-seal uninstall [--keep-plaintext]`: puts ciphertext back in the work tree, then removes
 * exactly what install added (src/operations/setup.ts). Refuses while a secret has changes git
 * does not have yet; `--keep-plaintext` leaves the work tree as it is, and says what that means.
 */
import { uninstall } from '../operations/setup.js'
import { info, warning } from '../ui.js'

export function run({ values }: { values: { 'keep-plaintext'?: boolean } }): number {
  const result = uninstall({ keepPlaintext: values['keep-plaintext'] === true })
  if (result.keptPlaintext) {
    warning(
      'removed the git-seal filter from this clone; decrypted files stay as they are',
      "without the filter 'git add', 'git commit -a' and 'git stash' store them in plaintext: run 'git-seal install' again before any of those",
    )
  } else info(`removed the git-seal filter from this clone; ${result.encrypted} secret file(s) hold ciphertext`)
  return 0
}
