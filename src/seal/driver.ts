/**
 * The filter driver as git starts it (see install's filter.git-seal.* and filter.git-seal-ct.*):
 * its arguments, shared by filter-process, clean and smudge, and the one-shot clean/smudge
 * request (stdin in, stdout out) for git without the process filter. The long-running protocol
 * is src/filter/protocol.ts; what to do with a file is clean.ts and smudge.ts.
 * Loaded by the hot entry (src/hot.ts): it imports nothing the filter does not load anyway.
 */
import { SealContext } from './context.js'
import { ConversionCheck, keepAsStored, refuseClean, type Conversion } from './conversions.js'
import { warning, writeAllSync } from '../ui.js'
import { UsageError } from '../errors.js'
import { CIPHERTEXT_ARG } from '../git/install-table.js'

/**
 * The arguments of a filter entry point git runs: none for the git-seal driver, `--worktree=ciphertext` for git-seal-ct.
 * @returns true for the ct driver.
 * @throws {UsageError} on anything else.
 */
export function parseDriverArgs(args: string[], name: string): boolean {
  if (args.length === 0) return false
  if (args.length === 1 && args[0] === CIPHERTEXT_ARG) return true
  throw new UsageError(
    `unexpected argument '${args[0]}'`,
    `git starts it as 'git-seal ${name}' or 'git-seal ${name} ${CIPHERTEXT_ARG}'`,
  )
}

type Filter = (ctx: SealContext, path: string, input: AsyncIterable<Uint8Array>) => Promise<Iterable<Uint8Array>>

/**
 * Shared by the one-shot clean and smudge: stdin in, stdout out, PATH names the file. Both
 * first ask git (one check-attr) whether it rewrites the path's ciphertext: clean then
 * refuses, smudge keeps the blob as stored.
 * @throws {UsageError} when the arguments are not `[--worktree=ciphertext] PATH`.
 */
export async function runOneShot(args: string[], name: 'clean' | 'smudge', filter: Filter): Promise<number> {
  const ciphertextDriver = args[0] === CIPHERTEXT_ARG
  const path = ciphertextDriver ? args[1] : args[0]
  if (path === undefined || args.length > (ciphertextDriver ? 2 : 1))
    throw new UsageError(
      `unexpected argument '${args[args.length - 1]}'`,
      `git starts it as 'git-seal ${name} [${CIPHERTEXT_ARG}] PATH'`,
    )
  return SealContext.serve(async (ctx) => {
    ctx.ciphertextDriver = ciphertextDriver
    const check = new ConversionCheck(ctx.root, ctx.paths, ctx.env, () => ctx.stored.indexPathsWithoutConflicts())
    let found: Conversion[] = []
    if (name === 'clean') {
      found = check.ofOnce(path)
      if (found.length > 0) refuseClean(ctx.root, ctx.paths.commonDir, path, found, ctx.env)
    } else {
      try {
        found = check.ofOnce(path)
      } catch (e) {
        // Never break a checkout over it: a blob git rewrote fails to decrypt and is kept anyway.
        warning(`cannot read the attributes of ${path} (${(e as Error).message}); decrypting without that check`)
      }
    }
    const output =
      found.length > 0 ? await keepAsStored(ctx, path, found, process.stdin) : await filter(ctx, path, process.stdin)
    for (const chunk of output) writeAllSync(1, chunk)
  })
}
