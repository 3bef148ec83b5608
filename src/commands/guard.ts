/**
 * `git-seal guard` (the pre-commit hook): refuses a commit whose index holds a secret in
 * plaintext, a .gitattributes that does not match the config, or an invalid config. The
 * verdict is src/operations/guard.ts; this prints it.
 */
import { guardIndex } from '../operations/guard.js'
import { error, printHint } from '../ui.js'
import { credentialProblems } from './output/scan-report.js'

export async function run(): Promise<number> {
  const verdict = await guardIndex()
  if (!verdict) return 0
  const problems = [...verdict.settings, ...credentialProblems(verdict.scan), ...verdict.secrets]
  if (problems.length === 0) return 0
  const hints = new Set<string>()
  for (const p of problems) {
    error(p.message)
    if (p.hint) hints.add(p.hint)
  }
  for (const h of hints) printHint(h)
  error('commit refused: no plaintext secret may enter history')
  return 1
}
