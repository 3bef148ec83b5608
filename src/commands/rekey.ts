/**
 * `git-seal rekey [PATH...] [--force]`: bring every secret's encryption in line with the config.
 * Adding a recipient to a sops file wraps its existing data key (values untouched); removing
 * one makes a new data key. Age files are re-encrypted. New blobs are staged, ready to commit;
 * the work tree is untouched. Idempotent: a second run changes nothing.
 */
import { rekey } from '../operations/rekey.js'
import { SealContext } from '../seal/context.js'
import type { RekeyOutcome } from '../seal/rekey.js'
import { UserError, error, info } from '../ui.js'
import { refreshSopsConfig } from '../operations/sops-config.js'

export { rekey } from '../operations/rekey.js'

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
