/**
 * How the guard and `verify` tell about credentials in files no rule covers (the scan is
 * src/operations/scan.ts): with `scan: warn` a warning and the rule to add, with `refuse` the
 * same as an error that fails the command. Shared by both commands; not a command itself.
 */
import { CONFIG_FILE } from '../../config/index.js'
import type { CredentialFinding, ScanResult } from '../../operations/scan.js'
import { debug, printHint, warning } from '../../ui.js'

const FALSE_POSITIVE_HINT = `a false positive: put a 'secretlint-disable-line' comment on that line, or set 'scan: off' in ${CONFIG_FILE}`

/** "github: GITHUB_TOKEN at line 3, ..." — rule and kind of each hit, never the value. */
export function describeHits(f: CredentialFinding): string {
  return f.hits.map((h) => `${h.rule}: ${h.kind} at line ${h.line}`).join(', ')
}

/** One line naming the file and what it looks like. */
export function describeCredential(f: CredentialFinding): string {
  const where = f.commit ? `commit ${f.commit.slice(0, 12)}: ` : ''
  return `${where}${f.path} looks like it holds a credential (${describeHits(f)}), and no secret in ${CONFIG_FILE} covers it`
}

/** What to do about it: the rule to add (its YAML), or, for a file git-seal never encrypts, to take the credential out. */
export function credentialHint(f: CredentialFinding): string {
  if (!f.suggestion)
    return `git-seal never encrypts ${f.path} (git reads it in plaintext): take the credential out of it`
  const { group, name, pattern } = f.suggestion
  return [
    `to encrypt it, add this secret to ${CONFIG_FILE} under groups.${group}.secrets:`,
    `  ${name}:`,
    `    path: ${JSON.stringify(pattern)}`,
    `then run 'git-seal sync', which stages ${f.path} encrypted`,
  ].join('\n')
}

/**
 * Prints a scan's findings: warnings for `warn`; for `refuse`, returns them as problems for
 * the caller to print as errors (and fail).
 */
export function credentialProblems(result: ScanResult): { message: string; hint?: string }[] {
  if (result.loadMs !== undefined && process.env['GIT_SEAL_DEBUG']?.split(',').includes('scan')) {
    debug(`scan: detector loaded in ${result.loadMs.toFixed(1)} ms; ${result.scanned} file(s) scanned`)
  }
  if (result.unavailable !== undefined) {
    const message = `the credential scan could not run: ${result.unavailable}`
    const hint = "reinstall git-seal ('npm ci', then 'git-seal install'), or set 'scan: off'"
    if (result.mode === 'refuse') return [{ message, hint }]
    warning(message, hint)
    return []
  }
  if (result.findings.length === 0) return []
  if (result.mode === 'refuse') {
    const problems: { message: string; hint?: string }[] = result.findings.map((f) => ({
      message: describeCredential(f),
      hint: credentialHint(f),
    }))
    problems.push({
      message: `${result.findings.length} file(s) look like credentials ('scan: refuse' in ${CONFIG_FILE})`,
      hint: FALSE_POSITIVE_HINT,
    })
    return problems
  }
  for (const f of result.findings) warning(describeCredential(f), credentialHint(f))
  printHint(FALSE_POSITIVE_HINT)
  return []
}
