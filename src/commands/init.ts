/**
 * `git-seal init`: once per repository. Keeps an existing .gitseal.yaml or writes a starter one
 * with you as admin, or one translated from .sops.yaml (`--from-sops`), writes the
 * .gitattributes block, then installs in this clone (src/operations/setup.ts).
 */
import { CONFIG_FILE } from '../config/index.js'
import { init } from '../operations/setup.js'
import { info } from '../ui.js'
import { UsageError } from '../errors.js'
import { reportDecryption } from './output/decryption.js'
import { reportInstall } from './output/install.js'

export async function run({
  values,
}: {
  values: { 'from-sops'?: boolean; 'drop-non-age'?: boolean }
}): Promise<number> {
  if (values['drop-non-age'] && !values['from-sops']) throw new UsageError('--drop-non-age goes with --from-sops')
  const result = await init({ fromSops: values['from-sops'] === true, dropNonAge: values['drop-non-age'] === true })
  reportInstall(result.install, info)
  reportDecryption(result.install.decryption, info)
  if (result.wroteConfig) info(`next: edit ${CONFIG_FILE}, then 'git add ${CONFIG_FILE} .gitattributes' and commit`)
  return 0
}
