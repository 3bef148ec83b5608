/**
 * `git-seal install`: once per clone. Registers the filter (and diff/merge drivers, guard
 * hooks), checks the registered command starts, then decrypts the secrets already checked out
 * (src/operations/setup.ts). Idempotent. Without an identity it warns and succeeds (it also
 * runs as npm's `prepare`): files stay ciphertext, and it says so.
 */
import { install } from '../operations/setup.js'
import { info } from '../ui.js'
import { reportDecryption } from './output/decryption.js'
import { reportInstall } from './output/install.js'

export async function run({ values }: { values: { quiet?: boolean } }): Promise<number> {
  const result = await install()
  const say = values.quiet ? () => {} : info
  reportInstall(result, say)
  reportDecryption(result.decryption, say)
  return 0
}
