/**
 * `git-seal verify [REV-RANGE] [--all]` and `git-seal verify --pre-receive`: the guarantee that
 * does not depend on hooks (not cloned, skipped by --no-verify). Exits 1 naming commit (or ref)
 * and path for each secret stored in plaintext, and each commit whose config was deleted or
 * broken after git-seal was adopted. Needs no key. The policy lives in src/operations/verify.ts.
 * With the config's `scan:` on, files no rule covers are also scanned for credentials
 * (src/operations/scan.ts). `--format sarif` prints the findings as SARIF 2.1.0 on stdout.
 */
import { readFileSync } from 'node:fs'
import { CONFIG_FILE } from '../config/index.js'
import {
  parseRefUpdates,
  verifyAll,
  verifyHead,
  verifyRange,
  verifyWithScan,
  type Finding,
  type VerifyReport,
} from '../operations/verify.js'
import type { ScanResult } from '../operations/scan.js'
import { error, info, printHint, printResult, warning } from '../ui.js'
import { UsageError } from '../errors.js'
import { credentialProblems, describeCredential, describeHits } from './output/scan-report.js'
import { SarifLog } from './output/sarif.js'
import { plaintextWorktreeHint } from '../seal/check.js'
import { VERSION } from '../version.js'

const ROTATE_HINT =
  'a plaintext secret in history is exposed to everyone with the repository: rotate it, then rewrite history (git filter-repo) if you must'
const ATTRIBUTES_HINT =
  "remove those attributes for secret paths (a line after git-seal's block, a nested .gitattributes, or .git/info/attributes); 'git-seal sync' keeps the block last in .gitattributes"
const CONFIG_HINT = `restore a valid ${CONFIG_FILE} in a new commit; until then each such commit is checked with its nearest valid ancestor's config`

/** A path as printed: quoted when it holds a line break or another control character. */
function shown(path: string): string {
  return /[\u0000-\u001f\u007f\u2028\u2029"]/.test(path) ? JSON.stringify(path) : path
}

function describe(f: Finding): string {
  switch (f.kind) {
    case 'plaintext':
      return `commit ${f.commit.slice(0, 12)}: ${shown(f.path)} holds a secret in plaintext (blob ${f.oid.slice(0, 12)})`
    case 'plaintext-in-tree':
      return `${f.ref} (tree ${f.tree.slice(0, 12)}): ${shown(f.path)} holds a secret in plaintext (blob ${f.oid.slice(0, 12)})`
    case 'plaintext-blob-ref':
      return `${f.ref} points at blob ${f.oid.slice(0, 12)}, which is no ciphertext`
    case 'config':
      return f.problem === 'missing'
        ? `commit ${f.commit.slice(0, 12)}: ${CONFIG_FILE} is missing while an ancestor's was valid`
        : `commit ${f.commit.slice(0, 12)}: ${CONFIG_FILE} is invalid while an ancestor's was valid (${f.reason ?? 'invalid'})`
    case 'attributes':
      return `commit ${f.commit.slice(0, 12)}: ${shown(f.path)}: ${f.conversions} in git's attributes there, which corrupts its ciphertext`
    case 'textconv-notes':
      return `${f.ref} is git's cache of decrypted diffs (diff.git-seal.cachetextconv): it holds secrets in plaintext`
    case 'plaintext-worktree':
      return `${shown(f.path)}: its work tree holds plaintext, but is to hold ciphertext (worktree: ciphertext); tools that copy the work tree (Nix) would copy it`
  }
}

/** Prints findings and the hints they call for (and adds them to the SARIF log); true when there were any. */
function report(findings: Finding[], sarif: SarifLog | null): boolean {
  for (const f of findings) sarif?.finding(f, describe(f))
  for (const f of findings) error(describe(f))
  if (findings.some((f) => f.kind !== 'config' && f.kind !== 'attributes')) printHint(ROTATE_HINT)
  if (findings.some((f) => f.kind === 'attributes')) printHint(ATTRIBUTES_HINT)
  if (findings.some((f) => f.kind === 'config')) printHint(CONFIG_HINT)
  return findings.length > 0
}

/** Prints (and adds to the SARIF log) what the credential scan found; true when it fails the command (`scan: refuse`). */
function reportScan(scan: ScanResult, sarif: SarifLog | null): boolean {
  sarif?.credentials(scan, describeCredential, describeHits)
  const problems = credentialProblems(scan)
  for (const p of problems) error(p.message)
  for (const hint of new Set(problems.flatMap((p) => (p.hint ? [p.hint] : [])))) printHint(hint)
  return problems.length > 0
}

function historyResult(r: VerifyReport, scan: ScanResult, sarif: SarifLog | null): number {
  const failed = report(r.findings, sarif)
  if (reportScan(scan, sarif) || failed) return 1
  info(`verified ${r.commits} commit(s): no secret stored in plaintext`)
  return 0
}

/** `--json`: the findings, each with its kind as a stable code next to the message; exit status as without it. */
function printJson(scope: string, r: VerifyReport | null): number {
  const findings = (r?.findings ?? []).map((f) => ({ code: f.kind, message: describe(f), ...f }))
  const mismatches = (r?.mismatches ?? []).map((m) => ({
    code: 'recipients-differ',
    message: `${m.path} is encrypted to ${m.extra} recipient(s) the config does not name and misses ${m.missing} it does`,
    ...m,
  }))
  printResult(
    JSON.stringify(
      {
        scope,
        ok: findings.length === 0,
        commits: r?.commits ?? 0,
        files: r?.files ?? 0,
        findings,
        warnings: mismatches,
      },
      null,
      2,
    ),
  )
  return findings.length > 0 ? 1 : 0
}

export async function run({
  values,
  positionals,
}: {
  values: { all?: boolean; 'pre-receive'?: boolean; format?: string; json?: boolean }
  positionals: string[]
}): Promise<number> {
  const cwd = process.cwd()
  if (values.json && !values['pre-receive']) {
    if (positionals.length > 1 || (values.all && positionals.length > 0))
      throw new UsageError(
        values.all ? '--all checks every commit: give it no REV-RANGE' : 'give at most one REV-RANGE',
      )
    if (values.all) return printJson('all', await verifyAll(cwd))
    if (positionals[0] !== undefined) return printJson(positionals[0], await verifyRange(cwd, positionals[0]))
    return printJson('HEAD', await verifyHead(cwd))
  }
  const format = values.format ?? 'text'
  const sarif = format === 'sarif' ? new SarifLog() : null
  const status = await verify(values, positionals, sarif)
  // The log goes to stdout whatever the verdict: code review shows the findings of a failing run too.
  if (sarif) printResult(sarif.render(VERSION))
  return status
}

async function verify(
  values: { all?: boolean | undefined; 'pre-receive'?: boolean | undefined },
  positionals: string[],
  sarif: SarifLog | null,
): Promise<number> {
  const cwd = process.cwd()
  if (values['pre-receive']) {
    const outcome = await verifyWithScan(cwd, {
      kind: 'pre-receive',
      updates: parseRefUpdates(readFileSync(0, 'utf8')),
    })
    let status = 0
    let commits = 0
    for (const { push, scan } of outcome.pushes) {
      commits += push.commits
      const failed = report(push.findings, sarif)
      const refused = scan ? reportScan(scan, sarif) : false
      if (failed || refused) {
        error(`push to ${push.ref} rejected`)
        status = 1
      }
    }
    if (status === 0) info(`verified ${commits} commit(s): no secret stored in plaintext`)
    return status
  }
  if (values.all && positionals.length > 0) throw new UsageError('--all checks every commit: give it no REV-RANGE')
  const outcome = await verifyWithScan(
    cwd,
    values.all
      ? { kind: 'all' }
      : positionals[0] !== undefined
        ? { kind: 'range', range: positionals[0] }
        : { kind: 'head' },
  )
  if (outcome.kind === 'history') return historyResult(outcome.report, outcome.scan, sarif)
  // Default: every secret path in HEAD as it stands.
  if (outcome.report === null) {
    info('no commits yet: nothing to verify')
    return 0
  }
  const head = outcome.report
  for (const m of head.mismatches) {
    // Reported, not rejected: a sops file encrypted to recipients the config does not name.
    sarif?.mismatch(
      m,
      `HEAD: ${m.path} is encrypted to ${m.extra} recipient(s) the config does not name and misses ${m.missing} it does`,
    )
    warning(
      `HEAD: ${shown(m.path)} is encrypted to ${m.extra} recipient(s) the config does not name and misses ${m.missing} it does`,
      "run 'git-seal rekey' (and ask who added the extra ones)",
    )
  }
  const credentialsRefused = reportScan(outcome.scan, sarif)
  if (head.findings.length > 0) {
    for (const f of head.findings)
      sarif?.finding(f, f.kind === 'plaintext' ? `HEAD: ${f.path} holds a secret in plaintext` : describe(f))
    for (const f of head.findings)
      error(f.kind === 'plaintext' ? `HEAD: ${shown(f.path)} holds a secret in plaintext` : describe(f))
    const copies = head.findings.filter((f) => f.kind === 'plaintext-worktree')
    if (copies.length > 0) printHint(plaintextWorktreeHint(copies[0]!.path))
    if (head.findings.some((f) => f.kind === 'plaintext')) {
      printHint(
        "run 'git-seal install' and 'git add' them again, then commit; rotate them: the plaintext stays in history ('git-seal verify --all' lists where)",
      )
    }
    if (head.findings.some((f) => f.kind === 'config')) printHint(CONFIG_HINT)
    return 1
  }
  if (credentialsRefused) return 1
  info(`verified ${head.files} secret file(s) in HEAD: all encrypted`)
  return 0
}
