/**
 * The status use case (`git-seal status`, and `git-seal recipients PATH`): every secret path,
 * whether the index holds ciphertext, whether my identities can open it, who it is configured
 * for, who the stored blob is for, and what is wrong. Returns data; commands/status.ts prints it.
 */
import { join, relative, resolve, sep } from 'node:path'
import { AgeError, ageFileMixesPostQuantum, hasPluginIdentity, withoutPlugins } from '../age/index.js'
import { nameOfKey, storedReaders } from '../seal/rekey.js'
import { readerKeys, type Evidence } from '../seal/declared.js'
import { configuredKeys } from '../seal/sops.js'
import { recipientChange } from '../seal/recipient-change.js'
import { NoSopsKeyError, isCiphertext, isWrappedConflict, openStored, storedKind } from '../seal/stored.js'
import { plaintextWorktreeHint } from '../seal/check.js'
import { CIPHERTEXT_FILTER, isSealFilter } from '../git/install-table.js'
import { WorktreeReader } from '../git/worktree.js'
import { blobId } from '../git/objects.js'
import {
  CONFIG_FILE,
  MAX_ATTRIBUTES_BYTES,
  readRepositoryFile,
  attributesBlockProblem,
  attributesUpToDate,
  effectiveFormat,
  matchingSecrets,
  type SealConfig,
} from '../config/index.js'
import { checkAttr, globalAttributesFile } from '../git/attributes.js'
import { repoPaths } from '../git/repo.js'
import { lsFilesTrackedAndUntracked } from '../git/plumbing.js'
import { configDrift } from '../git/install.js'
import { SealContext } from '../seal/context.js'
import { conversionProblem, describeConversions, manglingAttributes } from '../seal/conversions.js'
import { UserError } from '../ui.js'
import { bareRepositoryError } from '../errors.js'
import { worktreeSopsConfigState } from './sops-config.js'

/** A problem as `--json` gives it: a stable code next to the prose. */
export interface Problem {
  code: string
  message: string
}

/** One recipient of a stored blob, and how this clone knows it (see src/seal/declared.ts). */
export interface Reader {
  name: string
  key: string
  evidence: Evidence
  /** why a verified recipient is verified */
  basis?: string
}

export interface SecretStatus {
  path: string
  secret: string | null
  group: string | null
  format: 'age' | 'sops' | null
  /** what the work tree is to hold (`worktree` in the config); null without a rule */
  worktree: 'plaintext' | 'ciphertext' | null
  index: 'ciphertext' | 'plaintext' | 'empty' | 'absent'
  decryptable: boolean | null
  /** who the config says reads it */
  recipients: string[]
  /** who the stored blob is for, as far as this clone can tell; null when nothing here says */
  readers: Reader[] | null
  problems: Problem[]
}

export interface StatusReport {
  secrets: SecretStatus[]
  problems: Problem[]
}

const problem = (code: string, message: string): Problem => ({ code, message })

/** True when `path` is one of `pathspecs` or under one of them (a directory); every path without pathspecs. */
export function selected(path: string, pathspecs: readonly string[]): boolean {
  return (
    pathspecs.length === 0 || pathspecs.some((p) => p === '.' || path === p || path.startsWith(p.replace(/\/?$/, '/')))
  )
}

export async function collectStatus(
  ctx: SealContext,
  config: SealConfig,
  pathspecs: readonly string[] = [],
): Promise<StatusReport> {
  const root = ctx.root
  const problems: Problem[] = []
  const attributesFile = join(root, '.gitattributes')
  const attributes = readRepositoryFile(attributesFile, '.gitattributes', MAX_ATTRIBUTES_BYTES) ?? ''
  if (!attributesUpToDate(attributes, config)) {
    // A block that is right but not last is overridden by the lines after it (within one file the later line wins).
    const notLast = attributesBlockProblem(attributes, config) === 'not-last'
    problems.push(
      notLast
        ? problem(
            'attributes-not-last',
            `git-seal's block is not last in .gitattributes, so the lines after it override it: run 'git-seal sync' (it moves the block last)`,
          )
        : problem('attributes-stale', `.gitattributes does not match ${CONFIG_FILE}: run 'git-seal sync'`),
    )
  }
  if (worktreeSopsConfigState(root, config) === 'stale')
    problems.push(
      problem(
        'sops-config-stale',
        `.sops.yaml was generated from another ${CONFIG_FILE} (sops edit would encrypt to other recipients): run 'git-seal sops-config'`,
      ),
    )
  const drift = configDrift(root)
  if (drift.missing.length > 0)
    problems.push(
      problem(
        'filter-not-installed',
        `the filter is not installed in this clone (${drift.missing.join(', ')}): run 'git-seal install'`,
      ),
    )
  else if (drift.outdated.length > 0)
    problems.push(
      problem(
        'filter-outdated',
        `git-seal's git config here was written by another version (${drift.outdated.join(', ')}): run 'git-seal install' to update it`,
      ),
    )

  const paths = lsFilesTrackedAndUntracked(root).filter((p) => selected(p, pathspecs))
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
      readers: null,
      problems: [],
    }
    if (rules.length > 1)
      entry.problems.push(
        problem(
          'ambiguous-rule',
          `matched by ${rules.length} secrets: ${rules.map((r) => `${r.name} (group ${r.group})`).join(', ')}`,
        ),
      )
    if (rules.length === 0)
      entry.problems.push(problem('no-rule', `has filter=git-seal but no secret in ${CONFIG_FILE} matches it`))
    if (rules.length > 0 && !filtered)
      entry.problems.push(
        problem('not-filtered', `not marked filter=git-seal in .gitattributes: it would be committed in plaintext`),
      )
    if (rule?.worktree === 'ciphertext' && filtered && driver !== CIPHERTEXT_FILTER) {
      entry.problems.push(
        problem(
          'worktree-driver',
          `configured 'worktree: ciphertext' but marked filter=${driver}: clones whose git-seal predates that mode decrypt it on checkout; run 'git-seal sync'`,
        ),
      )
    }
    const blob = await ctx.stored.objects.get(`:${path}`)
    if (
      (rule?.worktree === 'ciphertext' || driver === CIPHERTEXT_FILTER) &&
      (await holdsPlaintextCopy(ctx, reader, path, blob?.oid ?? null))
    ) {
      entry.problems.push(
        problem(
          'plaintext-worktree',
          `its work tree holds plaintext, but is to hold ciphertext (worktree: ciphertext): tools that copy the work tree (Nix) copy it; ${plaintextWorktreeHint(path)}`,
        ),
      )
    }
    if (blob && blob.content.length === 0) {
      entry.index = 'empty' // an empty secret is stored as the empty blob: nothing to hide
    } else if (blob) {
      const kind = storedKind(path, blob.content)
      if (kind === 'plaintext') {
        entry.index = 'plaintext'
        entry.problems.push(
          problem('staged-plaintext', `staged in plaintext: run 'git add -- ${path}' with git-seal installed`),
        )
      } else {
        entry.index = 'ciphertext'
        try {
          // Plugin keys are not asked: a hardware key would want a touch for every secret.
          openStored(path, blob.content, withoutPlugins(ctx.keys.identities()))
          entry.decryptable = true
        } catch (e) {
          const notOpened = (e instanceof AgeError && e.code === 'no-identity') || e instanceof NoSopsKeyError
          // Unknown rather than "no" when only a plugin key could tell.
          entry.decryptable = notOpened && hasPluginIdentity(ctx.keys.identities()) ? null : false
          if (!notOpened) entry.problems.push(problem('damaged', `damaged: ${(e as Error).message}`))
        }
        if (ctx.stored.records.isFromPlaintextWorktree(blob.oid))
          entry.problems.push(
            problem(
              'from-plaintext-worktree',
              `staged from plaintext written into its work tree (worktree: ciphertext); the commit guard refuses it: ${plaintextWorktreeHint(path)}`,
            ),
          )
        if (ctx.stored.records.isConflicted(blob.oid))
          entry.problems.push(problem('conflict-markers', 'holds unresolved conflict markers'))
        if (ageFileMixesPostQuantum(blob.content))
          entry.problems.push(
            problem(
              'mixed-post-quantum',
              `encrypted to post-quantum and classic recipients at once, which age refuses to decrypt: make the group all post-quantum or split the secret, then 'git-seal rekey ${path}'`,
            ),
          )
        if (ctx.stored.records.isWrapped(blob.oid))
          entry.problems.push(
            problem(
              'unproven-input',
              `staged input that looked like ciphertext but was not proven so (encrypted whole, as content): 'git checkout HEAD -- ${path}' puts the committed version back`,
            ),
          )
        else if (kind === 'sops' && isWrappedConflict(path, blob.content))
          entry.problems.push(problem('conflict-markers', 'holds unresolved conflict markers'))
        const readers = storedReaders(ctx, path, blob.oid, blob.content, true)
        if (readers.problem)
          entry.problems.push(
            problem(
              'declaration-mismatch',
              `its recipient declaration does not hold (${readers.problem}): anyone can write one, so ask who committed it; 'git-seal rekey --force ${path}' re-encrypts it`,
            ),
          )
        const names = (keys: string[]): string =>
          keys.map((k) => `${nameOfKey(config, rule, k)} (${readers.evidence.get(k) ?? 'declared'})`).join(', ')
        if (readers.source !== null) {
          entry.readers = readerKeys(readers)!.map((k) => {
            const basis = readers.basis.get(k)
            return {
              name: nameOfKey(config, rule, k),
              key: k,
              evidence: readers.evidence.get(k) ?? 'declared',
              ...(basis ? { basis } : {}),
            }
          })
        }
        const recorded = readerKeys(readers)
        if (rule && recorded) {
          const format = kind === 'sops' ? 'sops' : 'age'
          const configured = configuredKeys(rule, format)
          const { added, removed } = recipientChange(configured, recorded)
          if (removed.length)
            entry.problems.push(
              problem(
                'extra-recipients',
                `encrypted to ${removed.length} recipient(s) the config does not name for it: ${names(removed)}; run 'git-seal rekey' (and ask who added them)`,
              ),
            )
          if (added.length)
            entry.problems.push(
              problem(
                'missing-recipients',
                `not yet encrypted to ${added.length} configured recipient(s): ${added.map((k) => nameOfKey(config, rule, k)).join(', ')}; run 'git-seal rekey'`,
              ),
            )
        }
        if (rule && entry.format && kind !== entry.format)
          entry.problems.push(
            problem('wrong-format', `stored as ${kind}, configured as ${entry.format}: run 'git-seal rekey'`),
          )
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
async function holdsPlaintextCopy(
  ctx: SealContext,
  reader: WorktreeReader,
  path: string,
  indexOid: string | null,
): Promise<boolean> {
  const bytes = reader.read(path)
  if (bytes === null || bytes.length === 0) return false
  const oid = blobId(bytes, ctx.paths.objectFormat)
  if (oid === indexOid || ctx.stored.records.isProvenAt(oid, path)) return false
  return !isCiphertext(path, bytes)
}

/** Secrets whose ciphertext git would rewrite (`text`, `eol`, `ident`, `working-tree-encoding`): one check-attr for all. */
function flagRewritingAttributes(ctx: SealContext, secrets: SecretStatus[]): void {
  const mangled = manglingAttributes(
    ctx.root,
    secrets.map((s) => s.path),
    { env: ctx.env },
  )
  if (mangled.size === 0) return
  const globalFile = globalAttributesFile(ctx.root, ctx.env)
  for (const entry of secrets) {
    const conversions = mangled.get(entry.path)
    if (!conversions) continue
    const { hint } = conversionProblem(ctx.root, ctx.paths.commonDir, entry.path, conversions, globalFile)
    entry.problems.push(
      problem(
        'rewriting-attributes',
        `git would rewrite its ciphertext (${describeConversions(conversions)}): git add refuses it and checkout leaves it encrypted; ${hint}`,
      ),
    )
  }
}

/** Pathspecs given on the command line, relative to the top of the work tree. */
export function repoRelative(root: string, args: string[], cwd: string = process.cwd()): string[] {
  return args.map((a) => {
    const rel = relative(root, resolve(cwd, a)).split(sep).join('/')
    if (rel.startsWith('..')) throw new UserError(`${a} is outside the repository`, 'give paths inside this work tree')
    return rel === '' ? '.' : rel
  })
}

/**
 * `git-seal status [PATH...]`: the report for the secrets under `args` (paths relative to `cwd`),
 * or every secret without them.
 * @throws {UserError} when the repository is bare, a path is outside it, or no secret is under the paths given.
 */
export async function repositoryStatus(args: string[], cwd: string = process.cwd()): Promise<StatusReport> {
  const paths = repoPaths(cwd)
  if (!paths.top) throw bareRepositoryError()
  const ctx = new SealContext(paths, paths.top)
  try {
    const pathspecs = repoRelative(paths.top, args, cwd)
    const report = await collectStatus(ctx, ctx.worktreeConfig.get(), pathspecs)
    if (pathspecs.length > 0 && report.secrets.length === 0) {
      throw new UserError(
        `${args.join(', ')}: not a secret (no rule of ${CONFIG_FILE} matches it, and it is not marked filter=git-seal)`,
        "'git-seal status' lists every secret",
      )
    }
    return report
  } finally {
    ctx.close()
  }
}
