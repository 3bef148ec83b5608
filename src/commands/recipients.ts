/**
 * `git-seal recipients [--json] [PATH...]`: per group, who (name, key type, short fingerprint)
 * reads which secrets; with PATHs, who can read each file (src/operations/readers.ts).
 */
import { classifyKey } from '../config/index.js'
import { recipientListing, whoReads, type FileReaders } from '../operations/readers.js'
import { columns, printResult, tint } from '../ui.js'

function kindOf(key: string): string {
  if (key.startsWith('fingerprint:')) return 'unknown key'
  const kind = classifyKey(key)
  return 'kind' in kind ? kind.kind : '?'
}

/** `recipients PATH...`: who can read each file. */
async function printWhoReads(pathspecs: string[], json: boolean): Promise<number> {
  const files = await whoReads(pathspecs)
  if (json) {
    printResult(JSON.stringify({ files }, null, 2))
    return 0
  }
  const lines: string[] = []
  for (const f of files) {
    const where =
      f.stored === 'absent'
        ? 'not in the index yet'
        : f.stored === 'unknown'
          ? 'stored; the blob does not say whom it is for'
          : 'stored'
    lines.push(
      `${f.path}: secret ${f.secret ?? '?'}${f.group ? ` (group ${f.group})` : ''}, ${f.format ?? '?'}, ${where}`,
    )
    const evidence = (r: FileReaders['readers'][number]): string =>
      r.evidence === 'verified'
        ? `${tint('good', 'verified')}${r.basis ? ` (${r.basis})` : ''}`
        : r.evidence.startsWith('missing')
          ? tint('warn', r.evidence)
          : r.evidence
    lines.push(
      ...columns(
        f.readers.map((r) => [
          r.name,
          r.role === 'not configured' ? tint('bad', r.role) : r.role,
          kindOf(r.key),
          evidence(r),
          r.key,
        ]),
        '  ',
      ),
    )
    for (const p of f.problems) lines.push(`  ${tint('bad', 'problem:')} ${p}`)
  }
  printResult(lines.join('\n'))
  return 0
}

export async function list({
  values,
  positionals,
}: {
  values: { json?: boolean }
  positionals: string[]
}): Promise<number> {
  if (positionals.length > 0) return await printWhoReads(positionals, values.json === true)
  const data = recipientListing()
  if (values.json) printResult(JSON.stringify(data, null, 2))
  else {
    const lines: string[] = []
    for (const g of data.groups) {
      lines.push(`group ${g.name}`)
      lines.push(
        ...columns(
          g.recipients.map((r) => [r.name, r.role, r.type, r.fingerprint, r.secrets.join(', ') || '(no secrets)']),
          '  ',
        ),
      )
    }
    printResult(lines.join('\n') || 'no recipients')
  }
  return 0
}

export const run = list
