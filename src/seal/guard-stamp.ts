/**
 * The stamp the full guard writes after it passed: which `.gitseal.yaml` and `.gitattributes`
 * blobs it passed with, and the config's secret rules as gitattributes lines, so the sh
 * pre-check (src/git/guard-precheck.ts) can tell a commit that stages no secret without Node.
 *
 * One file, written whole and renamed into place: the header and the rules always belong to
 * the same config, even with guards running in two linked worktrees at once.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs'
import { NEVER_SECRET_PATTERNS, quotePattern, type SealConfig } from '../config/index.js'
import { stateFile } from '../git/state-dir.js'
import { RULE_ATTRIBUTE, RULE_VALUE, stampHeader, type GuardStampInput } from '../git/guard-precheck.js'

/**
 * The stamp's text, an attributes file the pre-check gives check-attr as core.attributesFile:
 * its header, the global attributes file's lines (which it stands in for), then one line per
 * secret pattern, then the never-secret exemptions.
 */
export function renderGuardStamp(config: SealConfig, input: GuardStampInput): string {
  const lines = [
    stampHeader(input.stateHash),
    '# git-seal: what the last passing guard checked; the commit hook reads it, git-seal rewrites it',
  ]
  if (input.globalAttributes !== '') lines.push(input.globalAttributes.replace(/\n$/, ''))
  const seen = new Set<string>()
  for (const rule of config.secrets) {
    for (const pattern of rule.patterns) {
      if (seen.has(pattern)) continue
      seen.add(pattern)
      lines.push(`${quotePattern(pattern)} ${RULE_ATTRIBUTE}=${RULE_VALUE}`)
    }
  }
  // The same exemptions as the config's matcher (matchingSecrets) and the attributes block.
  for (const pattern of NEVER_SECRET_PATTERNS) lines.push(`${pattern} !${RULE_ATTRIBUTE}`)
  return lines.join('\n') + '\n'
}

/**
 * Whether a config asks the guard for work on commits that stage no secret, which the
 * pre-check would skip: a credential scan of other files (`scan:` other than `off`).
 */
function checksEveryCommit(config: SealConfig): boolean {
  const scan = (config as { scan?: unknown }).scan
  return scan !== undefined && scan !== 'off'
}

/**
 * Writes the stamp after a passing guard (best effort: without it, the next commit runs the
 * full guard again). Removes it when the config needs the full guard on every commit.
 */
export function writeGuardStamp(stateDir: string, config: SealConfig, input: GuardStampInput): void {
  const file = stateFile(stateDir, 'guardStamp')
  const tmp = `${file}.${process.pid}`
  try {
    if (checksEveryCommit(config)) {
      rmSync(file, { force: true })
      return
    }
    writeFileSync(tmp, renderGuardStamp(config, input), { mode: 0o600 })
    renameSync(tmp, file)
  } catch {
    // No state directory (not installed) or not writable: the pre-check keeps sending commits to the full guard.
    rmSync(tmp, { force: true })
  }
}
