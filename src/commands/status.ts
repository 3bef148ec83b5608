/**
 * `git-seal status [--json]`: every secret path, whether the index holds ciphertext, whether
 * my identities can open it, who it is configured for, and what is wrong.
 * Exit status: 0 when there are no problems, 1 otherwise (so scripts and CI can use it).
 */
import { join } from 'node:path'
import { AgeError } from '../age/index.js'
import { storedRecipients } from '../seal/rekey.js'
import { configuredKeys } from '../seal/sops.js'
import { NoSopsKeyError, isCiphertext, isWrappedConflict, openStored, storedKind } from '../seal/stored.js'
import { plaintextWorktreeHint } from '../seal/check.js'
import { CIPHERTEXT_FILTER, isSealFilter } from '../git/install-table.js'
import { WorktreeReader } from '../git/worktree.js'
import { blobId } from '../git/objects.js'
import { CONFIG_FILE, MAX_ATTRIBUTES_BYTES, readRepositoryFile, attributesBlockProblem, attributesUpToDate, effectiveFormat, matchingSecrets, type SealConfig } from '../config/index.js'
import { checkAttr, globalAttributesFile } from '../git/attributes.js'
import { repoPaths } from '../git/repo.js'
import { lsFilesTrackedAndUntracked } from '../git/plumbing.js'
import { configDrift } from '../git/install.js'
import { SealContext } from '../seal/context.js'
import { conversionProblem, describeConversions, manglingAttributes } from '../seal/conversions.js'
import { printResult } from '../ui.js'
import { bareRepositoryError } from '../errors.js'
import { worktreeSopsConfigState } from './sops-config.js'

export interface SecretStatus {
  path: string
  secret: string | null
  group: string | null
  format: 'age' | 'sops' | null
  /** what the work tree is to hold (`worktree` in the config); null without a rule */
  worktree: 'plaintext' | 'ciphertext' | null
  index: 'ciphertext' | 'plaintext' | 'empty' | 'absent'
  decryptable: boolean | null
  recipients: string[]
  problems: string[]
}

export interface StatusReport {
  secrets: SecretStatus[]
  problems: string[]
}

export async function collectStatus(ctx: SealContext, config: SealConfig): Promise<StatusReport> {
  const root = ctx.root
  const problems: string[] = []
  const attributesFile = join(root, '.gitattributes')
  const attributes = readRepositoryFile(attributesFile, '.gitattributes', MAX_ATTRIBUTES_BYTES) ?? ''
  if (!attributesUpToDate(attributes, config)) {
    // A block that is right but not last is overridden by the lines after it (within one file the later line wins).
    const notLast = attributesBlockProblem(attributes, config) === 'not-last'
    problems.push(notLast ? `git-seal's block is not last in .gitattributes, so the lines after it override it: run 'git-seal sync' (it moves the block last)` : `.gitattributes does not match ${CONFIG_FILE}: run 'git-seal sync'`)
  }
  if (worktreeSopsConfigState(root, config) === 'stale') problems.push(`.sops.yaml was generated from another ${CONFIG_FILE} (sops edit would encrypt to other recipients): run 'git-seal sops-config'`)
  const drift = configDrift(root)
  if (drift.missing.length > 0) problems.push(`the filter is not installed in this clone (${drift.missing.join(', ')}): run 'git-seal install'`)
  else if (drift.outdated.length > 0) problems.push(`git-seal's git config here was written by another version (${drift.outdated.join(', ')}): run 'git-seal install' to update it`)

  const paths = lsFilesTrackedAndUntracked(root)
  const filters = checkAttr(root, 'filter', paths)
  const reader = new WorktreeReader(root)
  const secrets: SecretStatus[] = []
  for (const path of paths) {
    const rules = matchingSecrets(config, path)
    const driver = filters.get(path)
    const filtered = isSealFilter(driver)
    if (rules.length === 0 && !filtered) continue
    const rule = rules[0] ?? null
    const entry: SecretStatus = {
      path,
      secret: rule?.name ?? null,
      group: rule?.group ?? null,
      format: rule ? effectiveFormat(rule, path) : null,
      worktree: rule?.worktree ?? null,
      index: 'absent',
      decryptable: null,
      recipients: rule ? rule.recipients.map((r) => r.name) : [],
      problems: [],
    }
    if (rules.length > 1) entry.problems.push(`matched by ${rules.length} secrets: ${rules.map((r) => `${r.name} (group ${r.group})`).join(', ')}`)
    if (rules.length === 0) entry.problems.push(`has filter=git-seal but no secret in ${CONFIG_FILE} matches it`)
    if (rules.length > 0 && !filtered) entry.problems.push(`not marked filter=git-seal in .gitattributes: it would be committed in plaintext`)
    if (rule?.worktree === 'ciphertext' && filtered && driver !== CIPHERTEXT_FILTER) {
      entry.problems.push(`configured 'worktree: ciphertext' but marked filter=${driver}: clones whose git-seal predates that mode decrypt it on checkout; run 'git-seal sync'`)
    }
    const blob = await ctx.objects.get(`:${path}`)
    if ((rule?.worktree === 'ciphertext' || driver === CIPHERTEXT_FILTER) && (await holdsPlaintextCopy(ctx, reader, path, blob?.oid ?? null))) {
      entry.problems.push(`its work tree holds plaintext, but is to hold ciphertext (worktree: ciphertext): tools that copy the work tree (Nix) copy it; ${plaintextWorktreeHint(path)}`)
    }
    if (blob && blob.content.length === 0) {
      entry.index = 'empty' // an empty secret is stored as the empty blob: nothing to hide
    } else if (blob) {
      const kind = storedKind(path, blob.content)
      if (kind === 'plaintext') {
        entry.index = 'plaintext'
        entry.problems.push(`staged in plaintext: run 'git add -- ${path}' with git-seal installed`)
      } else {
        entry.index = 'ciphertext'
        try {
          openStored(path, blob.content, ctx.identities())
          entry.decryptable = true
        } catch (e) {
          entry.decryptable = false
          if (!(e instanceof AgeError && e.code === 'no-identity') && !(e instanceof NoSopsKeyError)) entry.problems.push(`damaged: ${(e as Error).message}`)
        }
        if (ctx.records.isFromPlaintextWorktree(blob.oid)) entry.problems.push(`staged from plaintext written into its work tree (worktree: ciphertext); the commit guard refuses it: ${plaintextWorktreeHint(path)}`)
        if (ctx.records.isConflicted(blob.oid)) entry.problems.push('holds unresolved conflict markers')
        if (ctx.records.isWrapped(blob.oid)) entry.problems.push(`staged input that looked like ciphertext but was not proven so (encrypted whole, as content): 'git checkout HEAD -- ${path}' puts the committed version back`)
        else if (kind === 'sops' && isWrappedConflict(path, blob.content)) entry.problems.push('holds unresolved conflict markers')
        const recorded = storedRecipients(ctx, path, blob.oid, blob.content)
        if (rule && recorded) {
          const format = kind === 'sops' ? 'sops' : 'age'
          const configured = configuredKeys(rule, format)
          const added = configured.filter((k) => !recorded.includes(k))
          const removed = recorded.filter((k) => !configured.includes(k))
          if (removed.length) entry.problems.push(`encrypted to ${removed.length} recipient(s) the config does not name: run 'git-seal rekey' (and ask who added them)`)
          if (added.length) entry.problems.push(`not yet encrypted to ${added.length} configured recipient(s): run 'git-seal rekey'`)
        }
        if (rule && entry.format && kind !== entry.format) entry.problems.push(`stored as ${kind}, configured as ${entry.format}: run 'git-seal rekey'`)
      }
    }
    secrets.push(entry)
  }
  flagRewritingAttributes(ctx, secrets)
  return { secrets, problems }
}

/**
 * True when the work-tree file of a `worktree: ciphertext` secret holds plaintext: not the
 * stored blob's bytes, nor ciphertext this clone wrote or checked out at that path, nor complete
 * ciphertext by structure (`sops edit` writes a new document; clean judges it when it is added).
 * A missing file, a link, an empty file hold nothing to flag.
 */
async function holdsPlaintextCopy(ctx: SealContext, reader: WorktreeReader, path: string, indexOid: string | null): Promise<boolean> {
  const bytes = reader.read(path)
  if (bytes === null || bytes.length === 0) return false
  const oid = blobId(bytes, ctx.paths.objectFormat)
  if (oid === indexOid || ctx.records.isProvenAt(oid, path)) return false
  return !isCiphertext(path, bytes)
}

/** Secrets whose ciphertext git would rewrite (`text`, `eol`, `ident`, `working-tree-encoding`): one check-attr for all. */
function flagRewritingAttributes(ctx: SealContext, secrets: SecretStatus[]): void {
  const mangled = manglingAttributes(ctx.root, secrets.map((s) => s.path), { env: ctx.env })
  if (mangled.size === 0) return
  const globalFile = globalAttributesFile(ctx.root, ctx.env)
  for (const entry of secrets) {
    const conversions = mangled.get(entry.path)
    if (!conversions) continue
    const { hint } = conversionProblem(ctx.root, ctx.paths.commonDir, entry.path, conversions, globalFile)
    entry.problems.push(`git would rewrite its ciphertext (${describeConversions(conversions)}): git add refuses it and checkout leaves it encrypted; ${hint}`)
  }
}

function table(report: StatusReport): string {
  const lines: string[] = []
  for (const s of report.secrets) {
    const open = s.decryptable === null ? '-' : s.decryptable ? 'yes' : 'no'
    lines.push(`${s.path}\t${s.secret ?? '?'}${s.group ? ` (${s.group})` : ''}\t${s.format ?? '?'}${s.worktree === 'ciphertext' ? '\tworktree: ciphertext' : ''}\tindex: ${s.index}\tdecryptable: ${open}\trecipients: ${s.recipients.join(', ') || '-'}`)
    for (const p of s.problems) lines.push(`  problem: ${p}`)
  }
  if (report.secrets.length === 0) lines.push('no secret files')
  for (const p of report.problems) lines.push(`problem: ${p}`)
  return lines.join('\n')
}

export async function run({ values }: { values: { json?: boolean } }): Promise<number> {
  const paths = repoPaths()
  if (!paths.top) throw bareRepositoryError()
  const ctx = new SealContext(paths, paths.top)
  try {
    const report = await collectStatus(ctx, ctx.config())
    printResult(values.json ? JSON.stringify(report, null, 2) : table(report))
    const bad = report.problems.length > 0 || report.secrets.some((s) => s.problems.length > 0)
    return bad ? 1 : 0
  } finally {
    ctx.close()
  }
}
