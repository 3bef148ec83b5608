/**
 * `git-seal audit [NAME|KEY] [--json]`: every secret path and version a recipient could
 * decrypt anywhere in history (every recipient the history names, without NAME), whether each
 * value was rotated since, and a rotation checklist. Listing needs no private key; the
 * rotation verdicts need a key here that opens the versions compared.
 */
import { CONFIG_FILE } from '../config/index.js'
import { loadIdentities } from '../keys/identities.js'
import { auditHistory, type Exposure, type RecipientAudit } from '../operations/audit.js'
import { repoPaths } from '../git/repo.js'
import { UserError, columns, printResult, tint, warning } from '../ui.js'
import { bareRepositoryError } from '../errors.js'

/** What to do about one recipient's exposures: the lines of the checklist. */
export function checklist(audit: RecipientAudit): string[] {
  const who = audit.recipient
  const toRotate = audit.paths.filter((e) => e.rotation !== 'rotated')
  return [
    audit.current
      ? `${who} is still a recipient: 'git-seal remove-recipient ${who}' (or 'git-seal set-key ${who} NEWKEY' for a lost key), then commit`
      : `removing ${who} from ${CONFIG_FILE} does not revoke history: every version they could read stays readable to them`,
    ...toRotate.map((e) => `rotate the values in ${e.path} (readable from ${e.first.slice(0, 12)} to ${e.last.slice(0, 12)}${e.rotation === 'partly rotated' ? `; unchanged since: ${e.unchanged!.join(', ')}` : e.rotation === 'deleted' ? '; deleted here, but rotate it wherever it is still used' : ''})`),
    "then 'git-seal rekey' and commit, so new versions are encrypted without them",
  ]
}

const ROTATION_STYLE: Record<string, 'good' | 'bad' | 'warn'> = { rotated: 'good', 'not rotated': 'bad', 'still readable': 'bad', 'partly rotated': 'warn' }

/** The text lines of one recipient's exposures: path, versions, commit range, how, rotation. */
export function exposureLines(paths: Exposure[], indent = ''): string[] {
  return columns(
    paths.map((e) => [
      e.path,
      `${e.versions.length} version(s)`,
      `${e.first.slice(0, 12)}..${e.last.slice(0, 12)}`,
      `${e.commits} commit(s)`,
      `via ${e.via.join(', ')}`,
      ...(e.rotation ? [tint(ROTATION_STYLE[e.rotation] ?? 'dim', e.rotation) + (e.unchanged ? ` (unchanged: ${e.unchanged.join(', ')})` : '')] : []),
    ]),
    indent,
  )
}

export async function run({ values, positionals }: { values: { json?: boolean }; positionals: string[] }): Promise<number> {
  const who = positionals.length > 0 ? positionals.join(' ') : null
  const root = repoPaths().top
  if (!root) throw bareRepositoryError()
  const identities = loadIdentities()
  const report = await auditHistory(root, who, identities.identities.length > 0 ? identities.identities : null)
  if (who !== null && report.recipients.length === 0) throw new UserError(`no recipient named ${who} in any ${CONFIG_FILE} of this history`, 'give the name as written in the config, or the public key')
  if (report.shallow) warning('this clone is shallow: commits before its cut are missing, so what follows may be incomplete', "run 'git fetch --unshallow' and audit again")
  if (identities.identities.length === 0) warning('no age identity here: versions are listed, but whether values were rotated since is not known')
  if (values.json) {
    if (who !== null) {
      const audit = report.recipients[0]!
      printResult(JSON.stringify({ recipient: audit.recipient, keys: audit.keys, current: audit.current, shallow: report.shallow, paths: audit.paths, checklist: checklist(audit) }, null, 2))
    } else printResult(JSON.stringify({ shallow: report.shallow, recipients: report.recipients.map((a) => ({ ...a, checklist: checklist(a) })) }, null, 2))
    return 0
  }
  const lines: string[] = []
  for (const audit of report.recipients) {
    if (who === null) lines.push(`${tint('bold', audit.recipient)} (${audit.current ? 'a recipient now' : 'no longer a recipient'})`)
    if (audit.paths.length === 0) lines.push(`${who === null ? '  ' : ''}${audit.recipient} could not decrypt any secret in this history`)
    else lines.push(...exposureLines(audit.paths, who === null ? '  ' : ''))
    if (who !== null) lines.push('', 'rotation checklist:', ...checklist(audit).map((c) => `  - ${c}`))
  }
  if (report.recipients.length === 0) lines.push('no recipient in any config of this history')
  printResult(lines.join('\n'))
  return 0
}
