/**
 * `git-seal textconv FILE` (diff.git-seal.textconv): what `git diff` and `git log -p` show.
 * git hands over a temp file that is usually already smudged (plaintext): pass it through.
 * Ciphertext (locked clone, no key) is decrypted, or replaced by a one-line placeholder.
 * Runs once per file side, so the plaintext path loads nothing else: no config, no git, no
 * YAML parser. cachetextconv must never be set: git would store this output under refs/notes.
 */
import { readFileSync } from 'node:fs'
import { looksLikeAge } from '../age/index.js'
import { UserError, writeAllSync } from '../ui.js'

/** Could these bytes be a sops document? Cheap, and never wrong in the "no" direction. */
function mightBeSops(bytes: Buffer): boolean {
  return bytes.includes('ENC[AES256_GCM,') && bytes.includes('sops')
}

export async function run(args: string[]): Promise<number> {
  const file = args[0]
  if (file === undefined || args.length > 1) throw new UserError('usage: git-seal textconv FILE')
  const bytes = readFileSync(file)
  if (!looksLikeAge(bytes) && !mightBeSops(bytes)) {
    writeAllSync(1, bytes)
    return 0
  }
  const [{ loadIdentities }, { openStored, placeholder, storedKind }] = await Promise.all([import('../keys/identities.js'), import('../seal/stored.js')])
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
