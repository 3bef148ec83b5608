/**
 * The entry the launcher starts for textconv's ciphertext path (dist/textconv.mjs): the sh
 * driver (git/textconv-sh.ts) prints plaintext itself and hands over only files that may be
 * ciphertext, to be decrypted, most often `worktree: ciphertext` secrets in every `git diff`
 * and `git log -p`. So everything that path needs is imported statically, into one file: each
 * further module file costs the ESM loader a resolve, a read and a link per file side.
 *
 * Same exit statuses and messages as cli.ts.
 */
import { loadIdentities } from './keys/identities.js'
import { openStored, placeholder, storedKind } from './seal/stored.js'
import { run } from './commands/textconv.js'
import { exitStatusOf } from './errors.js'
import { reportError } from './ui.js'

run(process.argv.slice(3), async () => ({ loadIdentities, openStored, placeholder, storedKind })).then(
  (code) => {
    process.exitCode = code
  },
  (e: unknown) => {
    reportError(e)
    process.exitCode = exitStatusOf(e)
  },
)
