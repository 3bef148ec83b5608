/**
 * Bringing every secret's encryption in line with the config (`rekey`, and the end of
 * add-recipient, remove-recipient and set-key): one outcome per secret in the index, the new
 * blobs staged in one update-index, work-tree files still holding a replaced blob rewritten.
 */
import { effectiveFormat, findSecret } from '../config/index.js'
import { checkoutAgain, filesHoldingStoredBytes, secretEntries } from '../git/worktree.js'
import { SealContext } from '../seal/context.js'
import { rekeyEntry, stageBlobs, type RekeyOutcome } from '../seal/rekey.js'
import { configuredKeys } from '../seal/sops.js'
import { UserError, info, progress } from '../ui.js'
import { refreshSopsConfig } from './sops-config.js'

export async function rekey(
  ctx: SealContext,
  pathspecs: string[],
  force = false,
  quiet = false,
): Promise<RekeyOutcome[]> {
  const config = ctx.worktreeConfig.get()
  let entries = secretEntries(ctx.root)
  if (pathspecs.length > 0)
    entries = entries.filter((e) => pathspecs.some((p) => e.path === p || e.path.startsWith(p.replace(/\/?$/, '/'))))
  const outcomes: RekeyOutcome[] = []
  const staged: Parameters<typeof stageBlobs>[1] = []
  let done = 0
  for (const entry of entries) {
    const { outcome, blob, mac } = await rekeyEntry(ctx, config, entry, force)
    outcomes.push(outcome)
    const rule = findSecret(config, entry.path)
    if (blob && rule) {
      const format = effectiveFormat(rule, entry.path)
      staged.push({ entry, blob, format, recipients: configuredKeys(rule, format), ...(mac ? { mac } : {}) })
    }
    if (!quiet) progress('rekey', ++done, entries.length)
  }
  // Work-tree files still holding an old blob (a locked or keyless clone) get the new one, so
  // nothing there can bring the old recipients back.
  const stale = filesHoldingStoredBytes(
    ctx.root,
    staged.map((s) => s.entry),
  )
  stageBlobs(ctx, staged)
  checkoutAgain(
    ctx.root,
    stale.map((e) => e.path),
  )
  return outcomes
}

/**
 * `git-seal rekey [PATH...] [--force]`: refreshes a generated .sops.yaml, then rekeys the
 * secrets under `pathspecs` (every secret without them) in the repository at `cwd`.
 * @throws {UserError} when no age identity is here (rekey has to decrypt).
 */
export async function rekeyRepository(
  pathspecs: string[],
  force: boolean,
  cwd: string = process.cwd(),
): Promise<RekeyOutcome[]> {
  const ctx = SealContext.open(cwd)
  try {
    if (ctx.keys.identities().length === 0)
      throw new UserError(
        'rekey needs to decrypt the secrets, and no age identity was found',
        'set SOPS_AGE_KEY or put your key in ~/.config/sops/age/keys.txt',
      )
    // Said now, not with the result: the rekey's own warnings (a sops file's new readers) follow it.
    if (refreshSopsConfig(ctx.root, ctx.worktreeConfig.get())) info('updated .sops.yaml (generated from .gitseal.yaml)')
    return await rekey(ctx, pathspecs, force)
  } finally {
    ctx.close()
  }
}
