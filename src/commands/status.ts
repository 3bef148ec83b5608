/**
 * `git-seal status [--json]`: every secret path, whether the index holds ciphertext, whether
 * my identities can open it, who it is configured for, and what is wrong (src/operations/status.ts).
 * Exit status: 0 when there are no problems, 1 otherwise (so scripts and CI can use it).
 */
import { repositoryStatus, type Reader, type StatusReport } from '../operations/status.js'
import { columns, printResult, tint } from '../ui.js'

/** How a blob's recipients read in the text output: "alice (verified), bob (declared)". */
export function describeReaders(readers: Reader[] | null): string {
  if (readers === null) return 'unknown (the blob does not say)'
  return (
    readers.map((r) => `${r.name} (${r.evidence === 'verified' ? tint('good', 'verified') : 'declared'})`).join(', ') ||
    '-'
  )
}

function table(report: StatusReport): string {
  const anyCiphertextWorktree = report.secrets.some((s) => s.worktree === 'ciphertext')
  const rows = report.secrets.map((s) => {
    const open = s.decryptable === null ? '-' : s.decryptable ? tint('good', 'yes') : 'no'
    const index = s.index === 'plaintext' ? tint('bad', s.index) : s.index
    const worktree = anyCiphertextWorktree ? [s.worktree === 'ciphertext' ? 'worktree: ciphertext' : ''] : []
    return [
      s.path,
      `${s.secret ?? '?'}${s.group ? ` (${s.group})` : ''}`,
      s.format ?? '?',
      ...worktree,
      `index: ${index}`,
      `decryptable: ${open}`,
      `recipients: ${s.recipients.join(', ') || '-'}`,
    ]
  })
  const aligned = columns(rows)
  const lines: string[] = []
  report.secrets.forEach((s, i) => {
    lines.push(aligned[i]!)
    // Said only when it adds to the recipients column: someone only declared, or a different set.
    const verifiedAsConfigured =
      s.readers?.every((r) => r.evidence === 'verified') &&
      s.readers
        .map((r) => r.name)
        .sort()
        .join() === [...s.recipients].sort().join()
    if (s.index === 'ciphertext' && !verifiedAsConfigured) lines.push(`  stored for: ${describeReaders(s.readers)}`)
    for (const p of s.problems) lines.push(`  ${tint('bad', 'problem:')} ${p.message}`)
  })
  if (report.secrets.length === 0) lines.push('no secret files')
  for (const p of report.problems) lines.push(`${tint('bad', 'problem:')} ${p.message}`)
  return lines.join('\n')
}

export async function run({
  values,
  positionals,
}: {
  values: { json?: boolean }
  positionals: string[]
}): Promise<number> {
  const report = await repositoryStatus(positionals)
  printResult(values.json ? JSON.stringify(report, null, 2) : table(report))
  const bad = report.problems.length > 0 || report.secrets.some((s) => s.problems.length > 0)
  return bad ? 1 : 0
}
