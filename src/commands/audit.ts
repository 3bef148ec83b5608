/**
 * `git-seal audit [NAME|KEY] [--json]`: every secret path and version a recipient could
 * decrypt anywhere in history (every recipient the history names, without NAME), whether each
 * value was rotated since, and a rotation checklist. Listing needs no private key; the
 * rotation verdicts need a key here that opens the versions compared (src/operations/audit.ts).
 */
import { auditRepository, checklist } from '../operations/audit.js'
import { printResult, tint, warning } from '../ui.js'
import { exposureLines } from './output/audit.js'

export async function run({
  values,
  positionals,
}: {
  values: { json?: boolean }
  positionals: string[]
}): Promise<number> {
  const who = positionals.length > 0 ? positionals.join(' ') : null
  const { report, keyless } = await auditRepository(who)
  if (report.shallow)
    warning(
      'this clone is shallow: commits before its cut are missing, so what follows may be incomplete',
      "run 'git fetch --unshallow' and audit again",
    )
  if (keyless) warning('no age identity here: versions are listed, but whether values were rotated since is not known')
  if (values.json) {
    if (who !== null) {
      const audit = report.recipients[0]!
      printResult(
        JSON.stringify(
          {
            recipient: audit.recipient,
            keys: audit.keys,
            current: audit.current,
            shallow: report.shallow,
            paths: audit.paths,
            checklist: checklist(audit),
          },
          null,
          2,
        ),
      )
    } else
      printResult(
        JSON.stringify(
          { shallow: report.shallow, recipients: report.recipients.map((a) => ({ ...a, checklist: checklist(a) })) },
          null,
          2,
        ),
      )
    return 0
  }
  const lines: string[] = []
  for (const audit of report.recipients) {
    if (who === null)
      lines.push(`${tint('bold', audit.recipient)} (${audit.current ? 'a recipient now' : 'no longer a recipient'})`)
    if (audit.paths.length === 0)
      lines.push(`${who === null ? '  ' : ''}${audit.recipient} could not decrypt any secret in this history`)
    else lines.push(...exposureLines(audit.paths, who === null ? '  ' : ''))
    if (who !== null) lines.push('', 'rotation checklist:', ...checklist(audit).map((c) => `  - ${c}`))
  }
  if (report.recipients.length === 0) lines.push('no recipient in any config of this history')
  printResult(lines.join('\n'))
  return 0
}
