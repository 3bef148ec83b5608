/**
 * `git-seal textconv FILE` (diff.git-seal.textconv): what `git diff` and `git log -p` show.
 * git hands over a temp file that is usually already smudged (plaintext): pass it through.
 * Ciphertext (locked clone, no key) is decrypted, or replaced by a one-line placeholder.
 * Runs once per file side, so it loads no config and starts no git process.
 * cachetextconv must never be set: git would store this output under refs/notes/textconv.
 */
import { readFileSync } from 'node:fs'
import { loadIdentities } from '../keys/identities.js'
import { openStored, placeholder, storedKind } from '../seal/stored.js'
import { UserError } from '../ui.js'
import { writeAllSync } from './filter-process.js'

export function run(args: string[]): number {
  const file = args[0]
  if (file === undefined || args.length > 1) throw new UserError('usage: git-seal textconv FILE')
  const bytes = readFileSync(file)
  if (storedKind(file, bytes) === 'plaintext') {
    writeAllSync(1, bytes)
    return 0
  }
  const identities = loadIdentities().identities
  if (identities.length === 0) {
    writeAllSync(1, Buffer.from(placeholder(file, bytes, 'no key here to decrypt it')))
    return 0
  }
  try {
    writeAllSync(1, openStored(file, bytes, identities))
  } catch (e) {
    writeAllSync(1, Buffer.from(placeholder(file, bytes, (e as Error).message)))
  }
  return 0
}
