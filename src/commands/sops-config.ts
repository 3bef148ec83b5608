/**
 * `git-seal sops-config [--force]`: writes `.sops.yaml` creation_rules generated from
 * .gitseal.yaml (src/operations/sops-config.ts), so `sops edit` in the same repository encrypts
 * to the same recipients. A hand-written .sops.yaml is replaced only with `--force`.
 */
import { SOPS_YAML, writeSopsConfig } from '../operations/sops-config.js'
import { info } from '../ui.js'

export function run({ values }: { values: { force?: boolean } }): number {
  if (writeSopsConfig(values.force === true) === 'up-to-date') info(`${SOPS_YAML} is up to date`)
  else
    info(
      `wrote ${SOPS_YAML}; commit it so \`sops edit\` encrypts to the same recipients (git-seal keeps it in step with .gitseal.yaml from now on)`,
    )
  return 0
}
