/**
 * `git-seal rekey [PATH...] [--force]`: bring every secret's encryption in line with the config.
 * Adding a recipient to a sops file wraps its existing data key (values untouched); removing
 * one makes a new data key. Age files are re-encrypted. New blobs are staged, ready to commit;
 * the work tree is untouched. Idempotent: a second run changes nothing.
 */
import { effectiveFormat, findSecret } from '../config/index.js'
import { checkoutAgain, filesHoldingStoredBytes, secretEntries } from '../git/worktree.js'
import { SealContext } from '../seal/context.js'
import { rekeyEntry, stageBlobs, type RekeyOutcome } from '../seal/rekey.js'
import { configuredKeys } from '../seal/sops.js'
import { UserError, error, info, progress } from '../ui.js'
import { refreshSopsConfig } from './sops-config.js'

export async function rekey(ctx: SealContext, pathspecs: string[], force = false, quiet = false): Promise<RekeyOutcome[]> {
  const config = ctx.config()
  let entries = secretEntries(ctx.root)
  if (pathspecs.length > 0) entries = entries.filter((e) => pathspecs.some((p) => e.path === p || e.path.startsWith(p.replace(/\/?$/, '/'))))
  const outcomes: RekeyOutcome[] = []
  const staged: Parameters<typeof stageBlobs>[1] = []
  let done = 0
  for (const entry of entries) {
    const { outcome, blob, fingerprint } = await rekeyEntry(ctx, config, entry, force)
    outcomes.push(outcome)
    const rule = findSecret(config, entry.path)
    if (blob && rule) {
      const format = effectiveFormat(rule, entry.path)
      staged.push({ entry, blob, format, recipients: configuredKeys(rule, format), ...(fingerprint ? { fingerprint } : {}) })
    }
    if (!quiet) progress('rekey', ++done, entries.length)
  }
  // Work-tree files still holding an old blob (a locked or keyless clone) get the new one, so
  // nothing there can bring the old recipients back.
  const stale = filesHoldingStoredBytes(ctx.root, staged.map((s) => s.entry))
  stageBlobs(ctx, staged)
  checkoutAgain(
    ctx.root,
    stale.map((e) => e.path),
  )
  return outcomes
}

export function report(outcomes: RekeyOutcome[]): number {
  let failed = 0
  for (const o of outcomes) {
    if (o.action === 'unchanged') continue
    if (o.action === 'failed' || o.action === 'plaintext') {
      failed++
      error(`${o.path}: ${o.message}`)
      continue
    }
    const diff = [...o.added.map((n) => `+${n}`), ...o.removed.map((n) => `-${n}`)].join(' ')
    info(`${o.action} ${o.path}${diff ? ` (${diff})` : ''}`)
  }
  const changed = outcomes.filter((o) => o.action === 'rekeyed' || o.action === 'converted').length
  info(changed ? `staged ${changed} re-encrypted file(s); review with 'git diff --cached --stat' and commit` : 'every secret already matches the config')
  return failed ? 1 : 0
}

export async function run({ values, positionals }: { values: { force?: boolean }; positionals: string[] }): Promise<number> {
  const ctx = SealContext.open()
  try {
    if (ctx.identities().length === 0) throw new UserError('rekey needs to decrypt the secrets, and no age identity was found', 'set SOPS_AGE_KEY or put your key in ~/.config/sops/age/keys.txt')
    if (refreshSopsConfig(ctx.root, ctx.config())) info('updated .sops.yaml (generated from .gitseal.yaml)')
    return report(await rekey(ctx, positionals, values.force === true))
  } finally {
    ctx.close()
  }
}
