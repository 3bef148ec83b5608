/**
 * How a rekey is printed: by `rekey`, and at the end of the config changes that end in one
 * (add-recipient, remove-recipient, set-key).
 */
import { CONFIG_FILE } from '../../config/index.js'
import type { ConfigChange } from '../../operations/recipients.js'
import type { RekeyOutcome } from '../../seal/rekey.js'
import { error, info, warning } from '../../ui.js'

/** Prints each file rekeyed or failed, then a summary; the exit status (1 when a file failed). */
export function printRekeyOutcomes(outcomes: RekeyOutcome[]): number {
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
  info(
    changed
      ? `staged ${changed} re-encrypted file(s); review with 'git diff --cached --stat' and commit`
      : 'every secret already matches the config',
  )
  return failed ? 1 : 0
}

/** Prints what a config change did, then its rekey; the exit status. */
export function printConfigChange(change: ConfigChange): number {
  info(`${change.summary} in ${CONFIG_FILE}`)
  if (change.attributesUpdated) info('updated .gitattributes')
  if (change.sopsConfigUpdated) info('updated .sops.yaml (generated from .gitseal.yaml)')
  if (change.outcomes === null) {
    warning(
      'no age identity here, so nothing was re-encrypted',
      "someone who can decrypt the secrets runs 'git-seal rekey'",
    )
    return 0
  }
  return printRekeyOutcomes(change.outcomes)
}
