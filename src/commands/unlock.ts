/**
 * `git-seal unlock [-i KEYFILE | KEYFILE]`: clears the lock and decrypts every secret still
 * holding ciphertext (src/operations/lock.ts). Fails (exit 1) when it left a file encrypted for
 * want of a usable key or because the blob is damaged, and when it decrypted nothing at all of
 * what it found encrypted.
 */
import { unlock } from '../operations/lock.js'
import { error, info } from '../ui.js'
import { UsageError } from '../errors.js'
import { reportDecryption } from './output/decryption.js'

export async function run({
  values,
  positionals,
}: {
  values: { identity?: string }
  positionals: string[]
}): Promise<number> {
  // `-i KEYFILE`, or KEYFILE alone (git-crypt's `unlock KEYFILE` habit): one more identity for this run.
  const keyFile = values.identity ?? positionals[0]
  if (values.identity !== undefined && positionals.length > 0)
    throw new UsageError('give the key file once: -i KEYFILE or KEYFILE')
  const { decryption, failed } = await unlock(keyFile === undefined ? {} : { keyFile })
  reportDecryption(decryption, info)
  if (failed) {
    error(`unlock left ${decryption.kept.length} secret file(s) encrypted`)
    return 1
  }
  info(
    decryption.decrypted.length > 0 || decryption.kept.length > 0
      ? 'unlocked'
      : 'unlocked: no secret file held ciphertext',
  )
  return 0
}
