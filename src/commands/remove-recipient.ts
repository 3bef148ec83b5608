/**
 * `git-seal remove-recipient NAME [--group G]`: edits .gitseal.yaml in place, rewrites
 * .gitattributes, rekeys, then lists what they could read until now (history keeps it).
 */
import { removeRecipientEverywhere } from '../operations/recipients.js'
import { printResult, warning } from '../ui.js'
import { UsageError } from '../errors.js'
import { exposureLines } from './output/audit.js'
import { printConfigChange } from './output/rekey.js'

export async function run({
  values,
  positionals,
}: {
  values: { group?: string }
  positionals: string[]
}): Promise<number> {
  const [name] = positionals
  if (!name) throw new UsageError('missing argument NAME')
  const { change, exposures: paths } = await removeRecipientEverywhere(name, values.group)
  const code = printConfigChange(change)
  warning(
    `${name} could read ${paths.length} secret file(s) until now: removing them does not revoke history`,
    `rotate the values they knew; 'git-seal audit ${name}' shows later which were rotated`,
  )
  if (paths.length > 0) {
    printResult(
      [
        `${name} could read these secrets (and versions):`,
        ...exposureLines(paths, '  '),
        '',
        'what to rotate:',
        ...paths.map(
          (e) =>
            `  - the values in ${e.path}${e.versions.length > 1 ? ` (all ${e.versions.length} versions they could read)` : ''}`,
        ),
        '  - then commit this change; anything they copied before stays theirs',
      ].join('\n'),
    )
  }
  return code
}
