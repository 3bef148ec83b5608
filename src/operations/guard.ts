/**
 * The guard (the pre-commit hook): whether the index git is committing may enter history. A
 * secret staged in plaintext, a .gitattributes that does not match the config, or an invalid
 * config refuse the commit. Checks the index git is committing (GIT_INDEX_FILE: `commit -a` and
 * `commit PATH` use a temporary one). Batched: a fixed number of git processes (diff-index,
 * ls-files, check-attr, cat-file), whatever the number of files.
 */
import { parseConfig, CONFIG_FILE, attributesUpToDate, matchingSecrets, type SealConfig } from '../config/index.js'
import { checkAttr, globalAttributesFile } from '../git/attributes.js'
import { CatFileBatch } from '../git/objects.js'
import { repoPaths, stateDir } from '../git/repo.js'
import { GITLINK_MODE, SYMLINK_MODE, blobText, diffIndexCached, headCommit, lsFilesStage } from '../git/plumbing.js'
import { guardStampInput } from '../git/guard-precheck.js'
import { writeGuardStamp } from '../seal/guard-stamp.js'
import type { Identity } from '../age/index.js'
import { loadIdentities } from '../keys/identities.js'
import {
  isSecretPath,
  isStoredPlaintext,
  judgeStagedSecret,
  plaintextWorktreeHint,
  type StagedEvidence,
  type StagedVerdict,
} from '../seal/check.js'
import { BlobRecords } from '../seal/records.js'
import { isSealFilter } from '../git/install-table.js'
import { conversionProblem, manglingAttributes } from '../seal/conversions.js'
import { renormalizeCommand } from '../ui.js'
import { sopsConfigState } from './sops-config.js'
import { scanRefuses, scanStaged, type ScanResult } from './scan.js'

/** One reason to refuse the commit, and what to do about it. */
export interface GuardProblem {
  message: string
  hint?: string
}

/** What the guard found, in the order it is told. The commit may go ahead when there is no problem and the scan does not refuse it. */
export interface GuardVerdict {
  /** the staged config, .gitattributes and .sops.yaml, and what attributes or a config change do to secrets in the index */
  settings: GuardProblem[]
  /** credentials in staged files no rule covers, as the staged config's `scan:` says */
  scan: ScanResult
  /** staged secrets not stored as a secret must be */
  secrets: GuardProblem[]
}

/** Staged additions and modifications of files (not symlinks or submodules): [path, blob oid]. */
function stagedBlobs(root: string, objectFormat: 'sha1' | 'sha256'): { path: string; oid: string }[] {
  const head = headCommit(root)
  return diffIndexCached(root, head, { objectFormat })
    .filter((c) => 'ACMT'.includes(c.status) && c.dstMode !== GITLINK_MODE && c.dstMode !== SYMLINK_MODE)
    .map((c) => ({ path: c.path, oid: c.dstOid }))
}

/** The message and hint for each way a staged secret can be wrong. */
const STAGED_PROBLEMS: Record<Exclude<StagedVerdict, 'ok'>, (path: string) => { message: string; hint: string }> = {
  plaintext: (path) => ({
    message: `${path} is staged in plaintext`,
    // --renormalize: plain 'git add' skips a file git thinks unchanged, which then stays plaintext.
    hint: `run 'git-seal install' if this clone lacks it, then '${renormalizeCommand([path])}' (a secret ever pushed in plaintext must be rotated)`,
  }),
  conflict: (path) => ({
    message: `${path} still holds unresolved conflict markers`,
    hint: `resolve the conflict in the file, then git add it again ('git-seal edit ${path}' opens a secret whose work tree holds ciphertext)`,
  }),
  wrapped: (path) => ({
    message: `${path} holds input that looked like ciphertext but was not proven so; it was staged encrypted whole, as content`,
    hint: `'git checkout HEAD -- ${path}' puts the committed version back; to change the secret, write its new plaintext in a clone with the key and 'git add' it`,
  }),
  'plaintext-worktree': (path) => ({
    message: `${path} was staged from plaintext written into its work tree, which is to hold ciphertext (worktree: ciphertext); it was stored encrypted`,
    hint: plaintextWorktreeHint(path),
  }),
  'unverified-sops': (path) => ({
    message: `${path} is a sops document that nothing here vouches for: this clone did not encrypt it, and no key here verifies its MAC (was it staged with 'git add -p' or a patch?)`,
    hint: `stage the whole file with 'git add -- ${path}' (with git-seal installed), or ask someone with the key to`,
  }),
}

/**
 * What attributes and a config change do to secrets already in the index, not only the staged
 * ones: attributes under which git rewrites their ciphertext (every secret in the index, by the
 * index's .gitattributes and .git/info/attributes: one check-attr), and, when the staged config
 * differs from HEAD's, files it newly makes secrets whose index blob is still plaintext.
 * `stagedSecrets` are checked for plaintext by the caller already.
 */
async function attributeProblems(
  root: string,
  config: SealConfig | null,
  stagedSecrets: string[],
): Promise<GuardProblem[]> {
  const problems: GuardProblem[] = []
  const index = lsFilesStage(root).filter((e) => e.stage === 0 && e.mode !== GITLINK_MODE && e.mode !== SYMLINK_MODE)
  const indexSecrets = config ? index.filter((e) => matchingSecrets(config, e.path).length > 0) : []
  const paths = [...new Set([...indexSecrets.map((e) => e.path), ...stagedSecrets])]
  const mangled = manglingAttributes(root, paths, { cached: true })
  if (mangled.size > 0) {
    const commonDir = repoPaths(root).commonDir
    const globalFile = globalAttributesFile(root)
    for (const [path, conversions] of mangled)
      problems.push(conversionProblem(root, commonDir, path, conversions, globalFile))
  }
  const headText = blobText(root, `HEAD:${CONFIG_FILE}`)
  if (!config || headText === blobText(root, `:${CONFIG_FILE}`)) return problems
  let head: SealConfig | null = null
  try {
    head = headText === null ? null : parseConfig(headText, `HEAD:${CONFIG_FILE}`)
  } catch {
    // An invalid config in HEAD covered nothing: every secret counts as new.
  }
  const staged = new Set(stagedSecrets)
  const fresh = indexSecrets.filter(
    (e) => !staged.has(e.path) && (head === null || matchingSecrets(head, e.path).length === 0),
  )
  const objects = new CatFileBatch(root)
  try {
    const blobs = await Promise.all(fresh.map(async (e) => ({ path: e.path, object: await objects.get(e.oid) })))
    for (const { path, object } of blobs) {
      if (!isStoredPlaintext(path, object)) continue
      problems.push({
        message: `${path} becomes a secret in this commit's ${CONFIG_FILE} but is still plaintext in the index`,
        hint: "run 'git-seal sync': it re-stages such files encrypted (and says what to do where it cannot)",
      })
    }
  } finally {
    objects.close()
  }
  return problems
}

/**
 * Judges the index git is committing. When the commit may go ahead, records the stamp that lets
 * the hook skip Node next time (seal/guard-stamp.ts).
 * @returns null outside a work tree (nothing to guard).
 * @throws {GitError} when git cannot read the index or its objects.
 */
export async function guardIndex(): Promise<GuardVerdict | null> {
  const paths = repoPaths()
  const root = paths.top
  if (!root) return null
  const problems: GuardProblem[] = []
  // What this run's verdict rests on, for the stamp that lets the hook skip Node next time (guard-stamp.ts).
  const stampInput = guardStampInput(root, stateDir(paths))

  const configText = blobText(root, `:${CONFIG_FILE}`)
  let config: SealConfig | null = null
  if (configText !== null) {
    try {
      config = parseConfig(configText, CONFIG_FILE)
    } catch (e) {
      problems.push({
        message: `the staged ${CONFIG_FILE} is invalid: ${(e as Error).message}`,
        hint: `fix ${CONFIG_FILE} and 'git add' it again`,
      })
    }
    const attributes = blobText(root, ':.gitattributes') ?? ''
    if (config && !attributesUpToDate(attributes, config)) {
      problems.push({
        message: `the staged .gitattributes does not match ${CONFIG_FILE}`,
        hint: "run 'git-seal sync' and 'git add .gitattributes'",
      })
    }
    if (config && sopsConfigState(blobText(root, ':.sops.yaml'), config) === 'stale') {
      problems.push({
        message: `the staged .sops.yaml was generated from another ${CONFIG_FILE} (sops edit would encrypt to other recipients)`,
        hint: "run 'git-seal sops-config' and 'git add .sops.yaml'",
      })
    }
  }

  const staged = stagedBlobs(root, paths.objectFormat)
  const filters = checkAttr(
    root,
    'filter',
    staged.map((s) => s.path),
    true,
  )
  const secrets = staged.filter((s) => isSecretPath(config, s.path, isSealFilter(filters.get(s.path))))
  problems.push(
    ...(await attributeProblems(
      root,
      config,
      secrets.map((s) => s.path),
    )),
  )
  // Credentials in staged files no rule covers, as the staged config's `scan:` says.
  const scan = await scanStaged(
    root,
    config,
    staged.filter((s) => !secrets.includes(s)),
  )
  const secretProblems: GuardProblem[] = []
  const objects = new CatFileBatch(root)
  let identities: Identity[] | null = null
  const evidence: StagedEvidence = {
    records: new BlobRecords(stateDir(paths)),
    identities: () => (identities ??= loadIdentities().identities),
    mergeHeadBlob: async (path) => (await objects.get(`MERGE_HEAD:${path}`))?.oid ?? null,
  }
  try {
    // Every staged secret read once, all lookups pipelined through one cat-file.
    const blobs = await Promise.all(secrets.map(async (s) => ({ s, object: await objects.get(s.oid) })))
    for (const { s, object } of blobs) {
      const verdict = await judgeStagedSecret(s.path, object, evidence)
      if (verdict !== 'ok') secretProblems.push(STAGED_PROBLEMS[verdict](s.path))
    }
  } finally {
    objects.close()
  }
  if (problems.length === 0 && secretProblems.length === 0 && !scanRefuses(scan) && config && stampInput)
    writeGuardStamp(stateDir(paths), config, stampInput)
  return { settings: problems, scan, secrets: secretProblems }
}
