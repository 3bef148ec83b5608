/**
 * `git-seal textconv FILE` (diff.git-seal.textconv): what `git diff` and `git log -p` show.
 * git hands over a temp file that is usually already smudged (plaintext): pass it through.
 * Ciphertext (locked clone, no key, or a `worktree: ciphertext` secret, whose git-seal-ct
 * driver smudges to ciphertext and which shares this diff driver) is decrypted, or replaced
 * by a one-line placeholder.
 * Runs once per file side, so the plaintext path loads nothing else: no config, no git, no
 * YAML parser. cachetextconv must never be set: git would store this output under refs/notes.
 */
import { readFileSync } from 'node:fs'
import { AGE_MARKER, ARMOR_MARKER, SOPS_MARKER } from '../git/textconv-sh.js'
import type { Decryptors } from '../seal/decryptors.js'
import { UsageError, writeAllSync } from '../ui.js'

/**
 * Could these bytes be ciphertext: an age file (binary or armored) or a sops document? Cheap,
 * needs no module, and never wrong in the "no" direction (stored.ts makes the real call).
 * The sh driver in front of it (src/git/textconv-sh.ts) must stay at least as broad: it looks
 * for the same markers anywhere in the file (test/git/textconv-sh.test.ts).
 */
export function mightBeCiphertext(bytes: Buffer): boolean {
  const head = bytes.subarray(0, 128).toString('latin1')
  if (head.startsWith(AGE_MARKER) || head.trimStart().startsWith(ARMOR_MARKER)) return true
  return bytes.includes(SOPS_MARKER) && bytes.includes('sops')
}

/**
 * Statically imported by the command table (src/cli/table.ts): plaintext, the usual case, is answered before any other module
 * loads. `load` gives the ciphertext path its modules: the table imports them on demand
 * (textconv-decryptors.ts); src/textconv.ts, the entry the launcher starts for textconv, hands
 * in static ones, so it loads one file. No dynamic import here: it would split that entry.
 */
export async function run(args: string[], load: () => Promise<Decryptors>): Promise<number> {
  const file = args[0]
  if (file === undefined || args.length > 1)
    throw new UsageError(
      'textconv takes one FILE',
      "git runs it as diff.git-seal.textconv; 'git-seal install' sets that up",
    )
  const bytes = readFileSync(file)
  if (!mightBeCiphertext(bytes)) {
    writeAllSync(1, bytes)
    return 0
  }
  const { loadIdentities, openStored, placeholder, storedKind } = await load()
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
