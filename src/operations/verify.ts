/**
 * Verifying history: no secret stored in plaintext in a commit, tree or blob that a ref reaches,
 * whatever the commits themselves say the secrets are. The use case behind `git-seal verify`
 * (CI) and `verify --pre-receive` (a server's hook); the command parses arguments and prints.
 *
 * The policy (docs/ci.md says the same for users):
 * - A commit's **effective config** is its own `.gitseal.yaml` when that is valid; when it is
 *   missing or invalid, the union of its parents' effective configs (the nearest valid ancestor
 *   along every parent, not the first only: a merge cannot drop a rule one side had).
 * - A commit whose own config is missing or invalid while its effective config is not empty (an
 *   ancestor had a valid one) is a finding: deleting or breaking the config is refused, not
 *   obeyed. Commits with no valid config in any ancestor are history from before git-seal was
 *   adopted, and are not failed for lacking one.
 * - The **reference configs** do not come from the commits being judged: the effective config at
 *   the updated ref's old tip and at the default branch's tip (pre-receive; a new ref has only
 *   the latter), at each excluded end of a range and the default branch (a range), or at the
 *   default branch (`--all`, HEAD). The default branch is what HEAD points to, else
 *   refs/heads/main, else refs/heads/master.
 * - A path is a secret in a commit when its effective config or any reference config says so.
 *   Each commit is judged on every blob it adds or changes against any of its parents (a root
 *   commit against the empty tree), and, when its own config covers paths its parents' configs
 *   did not, on every blob of its tree at those paths (a file that became a secret in place).
 * - A ref that points (directly or through annotated tags) at a tree is judged on every blob of
 *   that tree at a path the reference configs or the tree's own valid config mark. One that
 *   points at a blob has no path: once a reference config exists, the blob must be ciphertext
 *   in some format (an age file, or a complete sops document in any store).
 * - `refs/notes/textconv/git-seal` is refused outright: git writes it only with
 *   `diff.git-seal.cachetextconv`, and it then holds decrypted secrets.
 *
 * Everything runs with replace refs ignored (GIT_NO_REPLACE_OBJECTS): a pushed `refs/replace/X`
 * would otherwise let the walk read another commit in place of X.
 *
 * Cost: one rev-list, one cat-file --batch-check and one log for a walk, whatever its length;
 * configs parsed once per blob id; blob verdicts cached by blob id (and the sops store its name
 * selects), shared by every ref of a push.
 */
import { TreeConversions, describeConversions } from '../seal/conversions.js'
import { CONFIG_FILE, findSecret, matchingSecrets, type SealConfig, type SecretRule } from '../config/index.js'
import { CatFileBatch, type GitObject } from '../git/objects.js'
import {
  GITLINK_MODE,
  SYMLINK_MODE,
  catFileBatchCheck,
  forEachRef,
  revParse,
  symbolicRef,
  type TreeEntry,
} from '../git/plumbing.js'
import { repoPaths } from '../git/repo.js'
import { GitError } from '../git/run.js'
import { isSecretPath, isStoredPlaintext } from '../seal/check.js'
import { sopsRecipient } from '../seal/sops.js'
import { recipientChange } from '../seal/recipient-change.js'
import { isCiphertext, sopsMetadata } from '../seal/stored.js'
import { WorktreeReader } from '../git/worktree.js'
import { UserError, progress } from '../ui.js'
import { RepositoryHistory, type ConfigState, type ObjectReader, type ValidConfig } from './history.js'
import { scanAll, scanHead, scanPush, scanRange, type ScanResult } from './scan.js'

export type { ObjectReader } from './history.js'

/** Something that breaks the policy, named by where it is. */
export type Finding =
  /** a secret blob in plaintext, added or changed by a commit (or at a newly covered path) */
  | { kind: 'plaintext'; commit: string; path: string; oid: string }
  /** a secret blob in plaintext in a tree a ref points at */
  | { kind: 'plaintext-in-tree'; ref: string; tree: string; path: string; oid: string }
  /** a ref pointing at a blob that is no ciphertext */
  | { kind: 'plaintext-blob-ref'; ref: string; oid: string }
  /** a commit whose config is missing or invalid while an ancestor's was valid */
  | { kind: 'config'; commit: string; problem: 'missing' | 'invalid'; reason?: string }
  /** git's textconv cache of git-seal's diffs: decrypted text */
  | { kind: 'textconv-notes'; ref: string }
  /** attributes in that commit's tree under which git rewrites the secret's ciphertext */
  | { kind: 'attributes'; commit: string; path: string; conversions: string }
  /** `verify` without a range, in a work tree: a `worktree: ciphertext` secret whose file there is plaintext */
  | { kind: 'plaintext-worktree'; path: string }

/** A sops file in HEAD whose recorded recipients differ from its rule's: reported, not refused. */
export interface RecipientMismatch {
  path: string
  extra: number
  missing: number
}

export interface VerifyReport {
  findings: Finding[]
  /** commits walked */
  commits: number
  /** secret files judged in HEAD (the HEAD form) */
  files: number
  mismatches: RecipientMismatch[]
}

/** One line of a pre-receive hook's input. */
export interface RefUpdate {
  oldOid: string
  newOid: string
  ref: string
}

export interface PushReport {
  ref: string
  findings: Finding[]
  commits: number
}

export interface VerifyOptions {
  /** the object reader to use (default: one `git cat-file --batch` process) */
  objects?: ObjectReader
}

/** The git notes ref where git caches textconv output of the git-seal diff driver. */
export const TEXTCONV_NOTES_REF = 'refs/notes/textconv/git-seal'

const ZERO_OID = /^0+$/

interface Effective {
  /** valid configs that decide what is a secret here, distinct by blob id */
  configs: ValidConfig[]
  /** the commit's own config, or null when it has none */
  own: ConfigState | null
  /** true when its own is missing or invalid while an ancestor's was valid */
  inherited: boolean
}

/** Reads the hook input (`old new ref` lines). Lines that are not three fields are skipped. */
export function parseRefUpdates(input: string): RefUpdate[] {
  const updates: RefUpdate[] = []
  for (const line of input.split('\n')) {
    const [oldOid, newOid, ref] = line.trim().split(' ')
    if (oldOid && newOid && ref) updates.push({ oldOid, newOid, ref })
  }
  return updates
}

/**
 * The key a blob's verdict is cached under: its id, and the suffix of its name, the one thing
 * of a path that plaintext judgement reads (it picks the sops store: `.yaml`, `.json`, ...).
 */
function verdictKey(oid: string, path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1)
  const dot = base.lastIndexOf('.')
  return `${oid}\0${dot < 0 ? '' : base.slice(dot)}`
}

function marks(configs: ValidConfig[], path: string): boolean {
  return configs.some((c) => isSecretPath(c.config, path))
}

function union(...lists: ValidConfig[][]): ValidConfig[] {
  const byOid = new Map<string, ValidConfig>()
  for (const list of lists) for (const c of list) byOid.set(c.oid, c)
  return [...byOid.values()]
}

/** Names a blob could be stored under, one per sops store and one for age: a blob ref has none. */
const PATHLESS_NAMES = ['blob', 'blob.yaml', 'blob.json', 'blob.env', 'blob.ini']

/**
 * The history of one repository as verify sees it: effective configs and verdicts, learnt once
 * and shared by every walk (every ref of a push), over the commits, trees and own configs the
 * shared {@link RepositoryHistory} reads.
 */
class History {
  private readonly effective = new Map<string, Effective>()
  private readonly verdicts = new Map<string, Promise<boolean>>()

  /** the tree's .gitattributes asked through one temporary index per distinct set (conversions.ts) */
  private conversions: TreeConversions | null = null

  readonly root: string

  constructor(readonly walk: RepositoryHistory) {
    this.root = walk.root
  }

  /**
   * Secrets among `paths` whose ciphertext git would rewrite under the attributes of `commit`'s
   * own tree (`text`/`eol`, `ident`, `working-tree-encoding` after git-seal's block): a checkout
   * of that commit would corrupt them, and a commit made there stored blobs that may not decrypt.
   */
  attributeFindings(commit: string, paths: string[]): Finding[] {
    if (paths.length === 0) return []
    this.conversions ??= new TreeConversions(this.root)
    return [...this.conversions.at(commit, paths)].map(([path, found]) => ({
      kind: 'attributes',
      commit,
      path,
      conversions: describeConversions(found),
    }))
  }

  /** Ends the attribute checks and the object reader. */
  close(): void {
    this.conversions?.close()
    this.walk.close()
  }

  private ownIsValid(commit: string): boolean {
    return this.walk.ownConfig(commit)?.kind === 'valid'
  }

  /** Commits not resolved yet that `commits` need: themselves, and ancestors while configs are not valid. */
  private unresolvedClosure(commits: string[]): string[] {
    const seen = new Set<string>()
    const stack = [...commits]
    while (stack.length > 0) {
      const c = stack.pop()!
      if (seen.has(c) || this.effective.has(c)) continue
      seen.add(c)
      // A valid own config ends the search up this line; an unknown one may not.
      if (this.walk.knowsOwnConfig(c) && this.ownIsValid(c)) continue
      for (const p of this.walk.parentsOf(c) ?? []) stack.push(p)
    }
    return [...seen]
  }

  /**
   * Computes the effective config of each commit, learning ancestors (one rev-list per round)
   * only where a config is missing or invalid: the usual boundary commit has a valid one.
   */
  async resolve(commits: string[]): Promise<void> {
    for (;;) {
      const closure = this.unresolvedClosure(commits)
      await this.walk.loadOwnConfigs(closure)
      const needAncestry = closure.filter((c) => !this.ownIsValid(c) && this.walk.parentsOf(c) === undefined)
      if (needAncestry.length === 0) break
      this.walk.commits(needAncestry)
    }
    // Parents before children, without recursion (histories are deep).
    for (const start of commits) {
      const stack = [start]
      while (stack.length > 0) {
        const c = stack.at(-1)!
        if (this.effective.has(c)) {
          stack.pop()
          continue
        }
        const own = this.walk.ownConfig(c)
        if (own?.kind === 'valid') {
          this.effective.set(c, { configs: [own], own, inherited: false })
          stack.pop()
          continue
        }
        const parents = this.walk.parentsOf(c) ?? []
        const pending = parents.filter((p) => !this.effective.has(p))
        if (pending.length > 0) {
          stack.push(...pending)
          continue
        }
        const configs = union(...parents.map((p) => this.effective.get(p)!.configs))
        this.effective.set(c, { configs, own, inherited: configs.length > 0 })
        stack.pop()
      }
    }
  }

  /** The effective config of a resolved commit. */
  effectiveOf(commit: string): Effective {
    const e = this.effective.get(commit)
    if (!e) throw new Error(`internal: the config of ${commit} was not resolved`)
    return e
  }

  /** The blob id of a commit's own config, when it has a valid one. */
  validOwnOid(commit: string): string | null {
    const own = this.walk.ownConfig(commit)
    return own?.kind === 'valid' ? own.oid : null
  }

  /** True when the blob, stored at `path`, is plaintext (read once per blob id and name suffix). */
  isPlaintext(path: string, oid: string): Promise<boolean> {
    const key = verdictKey(oid, path)
    let verdict = this.verdicts.get(key)
    if (!verdict) {
      verdict = this.walk.read(oid).then((object) => isStoredPlaintext(path, object))
      this.verdicts.set(key, verdict)
    }
    return verdict
  }

  /** An object, read (not cached: use {@link isPlaintext} for verdicts). */
  read(oid: string): Promise<GitObject | null> {
    return this.walk.read(oid)
  }

  /** The config a tree holds at its top, when it is a valid one. */
  async treeConfig(entries: TreeEntry[]): Promise<ValidConfig[]> {
    const entry = entries.find((e) => e.path === CONFIG_FILE && e.type === 'blob' && e.mode !== SYMLINK_MODE)
    if (!entry) return []
    const state = await this.walk.configBlob(entry.oid)
    return state.kind === 'valid' ? [state] : []
  }
}

/** The tip of the default branch: what HEAD points to, else refs/heads/main, else master. */
function defaultBranchTip(root: string): string | null {
  const head = symbolicRef(root, 'HEAD')
  const names = [head ?? 'HEAD', 'refs/heads/main', 'refs/heads/master']
  return (
    catFileBatchCheck(
      root,
      names.map((n) => `${n}^{commit}`),
    ).find((i) => i !== null)?.oid ?? null
  )
}

/** The configs of `tips` (commits), resolved and joined. */
async function referenceConfigs(history: History, tips: string[]): Promise<ValidConfig[]> {
  await history.resolve(tips)
  return union(...tips.map((t) => history.effectiveOf(t).configs))
}

/**
 * Judges every commit `revArgs` select. Findings in log order (newest first), each commit and
 * path once.
 */
async function verifyCommits(
  history: History,
  revArgs: string[],
  reference: ValidConfig[],
): Promise<{ findings: Finding[]; commits: number }> {
  const nodes = history.walk.commits(revArgs)
  if (nodes.length === 0) return { findings: [], commits: 0 }
  await history.resolve([...nodes.map((n) => n.commit), ...nodes.flatMap((n) => n.parents)])
  const changes = new Map(history.walk.changes(revArgs, 'ACMRT').map((c) => [c.commit, c.changes]))
  const findings: Finding[] = []
  let walked = 0
  for (const { commit, parents } of nodes) {
    // A long history shows its progress (on a terminal only; never in hooks or CI logs).
    if (nodes.length >= 200) progress('verify', ++walked, nodes.length)
    const effective = history.effectiveOf(commit)
    findings.push(...configFinding(history, commit))
    const configs = union(effective.configs, reference)
    const candidates = new Map<string, string>()
    for (const c of changes.get(commit) ?? []) {
      if (c.dstMode === GITLINK_MODE || c.dstMode === SYMLINK_MODE) continue
      if (marks(configs, c.path)) candidates.set(c.path, c.dstOid)
    }
    // A config that covers paths its parents' did not makes files already in the tree secrets.
    const ownOid = history.validOwnOid(commit)
    if (ownOid && parents.every((p) => history.validOwnOid(p) !== ownOid)) {
      const before = union(...parents.map((p) => history.effectiveOf(p).configs))
      for (const e of history.walk.treeBlobs(commit)) {
        if (e.mode === SYMLINK_MODE || candidates.has(e.path)) continue
        if (marks(effective.configs, e.path) && !marks(before, e.path)) candidates.set(e.path, e.oid)
      }
    }
    const judged = await Promise.all(
      [...candidates].map(async ([path, oid]) => ({ path, oid, plain: await history.isPlaintext(path, oid) })),
    )
    for (const j of judged) if (j.plain) findings.push({ kind: 'plaintext', commit, path: j.path, oid: j.oid })
    findings.push(...history.attributeFindings(commit, [...candidates.keys()]))
  }
  return { findings, commits: nodes.length }
}

/** Judges a tree a ref points at: every blob at a path the reference configs or its own config mark. */
async function verifyTree(history: History, ref: string, tree: string, reference: ValidConfig[]): Promise<Finding[]> {
  const entries = history.walk.treeBlobs(tree)
  const configs = union(reference, await history.treeConfig(entries))
  const secrets = entries.filter((e) => e.mode !== SYMLINK_MODE && marks(configs, e.path))
  const judged = await Promise.all(secrets.map(async (e) => ({ e, plain: await history.isPlaintext(e.path, e.oid) })))
  return judged
    .filter((j) => j.plain)
    .map(({ e }) => ({ kind: 'plaintext-in-tree', ref, tree, path: e.path, oid: e.oid }))
}

/** Judges a blob a ref points at: ciphertext in some format, once git-seal is in use. */
async function verifyBlobRef(
  history: History,
  ref: string,
  blob: string,
  reference: ValidConfig[],
): Promise<Finding[]> {
  if (reference.length === 0) return []
  const verdicts = await Promise.all(PATHLESS_NAMES.map((name) => history.isPlaintext(name, blob)))
  return verdicts.every(Boolean) ? [{ kind: 'plaintext-blob-ref', ref, oid: blob }] : []
}

/** Refs (and HEAD) pointing, through tags, at trees and blobs, which no commit walk sees. */
function nonCommitRefs(root: string): { ref: string; oid: string; type: 'tree' | 'blob' }[] {
  const refs = forEachRef(root)
  const peeled = catFileBatchCheck(
    root,
    refs.map((r) => `${r.oid}^{}`),
  )
  const found: { ref: string; oid: string; type: 'tree' | 'blob' }[] = []
  refs.forEach((r, i) => {
    const p = peeled[i]
    if (p && (p.type === 'tree' || p.type === 'blob')) found.push({ ref: r.ref, oid: p.oid, type: p.type })
  })
  return found
}

/** The repository to run in: its work tree's top, or the git dir of a bare one. */
function rootOf(cwd: string): string {
  const paths = repoPaths(cwd)
  return paths.top ?? paths.gitDir
}

/** Replace refs are ignored by every git this process runs (see the module comment). */
function ignoreReplaceRefs(): void {
  process.env['GIT_NO_REPLACE_OBJECTS'] = '1'
}

async function withHistory<T>(cwd: string, options: VerifyOptions, body: (history: History) => Promise<T>): Promise<T> {
  ignoreReplaceRefs()
  const root = rootOf(cwd)
  const history = new History(new RepositoryHistory(root, options.objects ?? new CatFileBatch(root)))
  try {
    return await body(history)
  } finally {
    history.close()
  }
}

function configFinding(history: History, commit: string): Finding[] {
  const e = history.effectiveOf(commit)
  if (!e.inherited) return []
  return [
    e.own
      ? { kind: 'config', commit, problem: 'invalid', reason: e.own.kind === 'invalid' ? e.own.reason : '' }
      : { kind: 'config', commit, problem: 'missing' },
  ]
}

/**
 * `verify RANGE`: every commit of a revision range (`A..B`, `B`, `A...B`), against their own
 * configs, the configs at the range's excluded ends and the default branch's.
 * @throws {UserError} when the range is not one git knows, or outside a git repository;
 *   {GitError} when git cannot read the history.
 */
export async function verifyRange(cwd: string, range: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  if (range.startsWith('-'))
    throw new UserError(`not a revision range: ${range}`, 'give a range such as origin/main..HEAD')
  return withHistory(cwd, options, async (history) => {
    let revs: ReturnType<typeof revParse>
    try {
      revs = revParse(history.root, range)
    } catch (e) {
      if (e instanceof GitError)
        throw new UserError(`unknown revision or range: ${range}`, 'give a range such as origin/main..HEAD')
      throw e
    }
    if (revs.other.length > 0 || revs.positive.length === 0)
      throw new UserError(`not a revision range: ${range}`, 'give a range such as origin/main..HEAD')
    const tip = defaultBranchTip(history.root)
    const reference = await referenceConfigs(history, [...revs.negative, ...(tip ? [tip] : [])])
    const { findings, commits } = await verifyCommits(
      history,
      [...revs.positive, ...revs.negative.map((n) => `^${n}`)],
      reference,
    )
    return { findings, commits, files: 0, mismatches: [] }
  })
}

/**
 * `verify --all`: every commit any ref reaches, every tree and blob a ref points at, against
 * the commits' own configs and the default branch's.
 * @throws {UserError} outside a git repository; {GitError} when git cannot read the history.
 */
export async function verifyAll(cwd: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  return withHistory(cwd, options, async (history) => {
    const tip = defaultBranchTip(history.root)
    const reference = await referenceConfigs(history, tip ? [tip] : [])
    const { findings, commits } = await verifyCommits(history, ['--all'], reference)
    for (const r of nonCommitRefs(history.root)) {
      findings.push(
        ...(r.type === 'tree'
          ? await verifyTree(history, r.ref, r.oid, reference)
          : await verifyBlobRef(history, r.ref, r.oid, reference)),
      )
    }
    if (forEachRef(history.root, [TEXTCONV_NOTES_REF]).length > 0)
      findings.push({ kind: 'textconv-notes', ref: TEXTCONV_NOTES_REF })
    return { findings, commits, files: 0, mismatches: [] }
  })
}

function findSecretQuietly(config: SealConfig, path: string): SecretRule | null {
  try {
    return findSecret(config, path)
  } catch {
    // Two rules match: the config check reports that; here there is no one rule to compare with.
    return null
  }
}

/**
 * `verify` without arguments: every secret file in HEAD, against HEAD's effective config (HEAD
 * is the default branch here). Also reports sops files whose recorded recipients differ from
 * their rule's, and, in a work tree, `worktree: ciphertext` secrets whose file there is
 * plaintext (what a CI step before `nix build` must catch). Null when there is no commit yet.
 * @throws {UserError} outside a git repository; {GitError} when git cannot read the history.
 */
export async function verifyHead(cwd: string, options: VerifyOptions = {}): Promise<VerifyReport | null> {
  return withHistory(cwd, options, async (history) => {
    const head = catFileBatchCheck(history.root, ['HEAD^{commit}'])[0]?.oid
    if (!head) return null
    await history.resolve([head])
    const findings = configFinding(history, head)
    const configs = history.effectiveOf(head).configs
    const secrets = history.walk.treeBlobs(head).filter((e) => e.mode !== SYMLINK_MODE && marks(configs, e.path))
    const mismatches: RecipientMismatch[] = []
    // Each secret read once for both questions, all reads pipelined.
    const read = await Promise.all(secrets.map(async (e) => ({ e, object: await history.read(e.oid) })))
    for (const { e, object } of read) {
      if (isStoredPlaintext(e.path, object)) {
        findings.push({ kind: 'plaintext', commit: head, path: e.path, oid: e.oid })
        continue
      }
      const rule = configs.map((c) => findSecretQuietly(c.config, e.path)).find((r) => r !== null)
      const recorded = rule && object ? sopsMetadata(e.path, object.content)?.age.map((a) => a.recipient) : undefined
      if (!rule || !recorded) continue
      const configured = new Set(rule.recipients.map((r) => sopsRecipient(r.key)))
      const change = recipientChange([...configured], recorded)
      const extra = change.removed.length
      const missing = change.added.length
      if (extra || missing) mismatches.push({ path: e.path, extra, missing })
    }
    findings.push(
      ...history.attributeFindings(
        head,
        secrets.map((e) => e.path),
      ),
    )
    const top = repoPaths(cwd).top
    if (top) findings.push(...plaintextWorktreeCopies(top, configs, secrets))
    return { findings, commits: 0, files: secrets.length, mismatches }
  })
}

/**
 * `worktree: ciphertext` secrets of HEAD whose work-tree file holds plaintext: not history, but
 * what Nix and other tools copying the work tree would publish. Judged by structure alone (no
 * key, no clone state): a file that is not complete ciphertext. Missing files, links and empty
 * files hold nothing to flag.
 */
function plaintextWorktreeCopies(top: string, configs: ValidConfig[], secrets: TreeEntry[]): Finding[] {
  const reader = new WorktreeReader(top)
  const findings: Finding[] = []
  for (const e of secrets) {
    if (!configs.some((c) => matchingSecrets(c.config, e.path).some((rule) => rule.worktree === 'ciphertext'))) continue
    const bytes = reader.read(e.path)
    if (bytes !== null && bytes.length > 0 && !isCiphertext(e.path, bytes))
      findings.push({ kind: 'plaintext-worktree', path: e.path })
  }
  return findings
}

/**
 * `verify --pre-receive`: each updated ref on its own. A commit is judged when it is in
 * old..new, even when another ref already reaches it (a fast-forward must not inherit a
 * verdict given under another branch's config); a new ref's commits are those its default
 * branch does not reach. Trees and blobs a ref now points at are judged too.
 * @throws {UserError} when a pushed object is missing, or outside a git repository;
 *   {GitError} when git cannot read the history.
 */
export async function verifyPushes(
  cwd: string,
  updates: RefUpdate[],
  options: VerifyOptions = {},
): Promise<PushReport[]> {
  return withHistory(cwd, options, async (history) => {
    const tip = defaultBranchTip(history.root)
    const reports: PushReport[] = []
    for (const u of updates) {
      if (ZERO_OID.test(u.newOid)) continue
      const isNew = ZERO_OID.test(u.oldOid)
      const [target, old] = catFileBatchCheck(history.root, [`${u.newOid}^{}`, ...(isNew ? [] : [`${u.oldOid}^{}`])])
      const oldCommit = old?.type === 'commit' ? old.oid : null
      const reference = await referenceConfigs(history, [
        ...new Set([...(oldCommit ? [oldCommit] : []), ...(tip ? [tip] : [])]),
      ])
      const report: PushReport = { ref: u.ref, findings: [], commits: 0 }
      if (!target)
        throw new UserError(
          `${u.ref}: the pushed object ${u.newOid.slice(0, 12)} is missing`,
          'run verify --pre-receive from the pre-receive hook, where git has received the objects of the push',
        )
      if (target.type === 'commit') {
        const base = oldCommit ?? tip
        const walked = await verifyCommits(history, [target.oid, ...(base ? [`^${base}`] : [])], reference)
        report.findings.push(...walked.findings)
        report.commits = walked.commits
      } else if (target.type === 'tree') {
        report.findings.push(...(await verifyTree(history, u.ref, target.oid, reference)))
      } else if (target.type === 'blob') {
        report.findings.push(...(await verifyBlobRef(history, u.ref, target.oid, reference)))
      }
      if (u.ref === TEXTCONV_NOTES_REF) report.findings.push({ kind: 'textconv-notes', ref: u.ref })
      reports.push(report)
    }
    return reports
  })
}

/** What `verify` checks: HEAD as it stands, a revision range, every commit, or the ref updates a pre-receive hook was given. */
export type HistoryScope = { kind: 'head' } | { kind: 'range'; range: string } | { kind: 'all' }
export type PreReceiveScope = { kind: 'pre-receive'; updates: RefUpdate[] }

/** `report` null: no commits yet (then nothing is scanned either). */
export type HeadOutcome =
  | { kind: 'head'; report: VerifyReport; scan: ScanResult }
  | { kind: 'head'; report: null; scan: null }
export type HistoryOutcome = { kind: 'history'; report: VerifyReport; scan: ScanResult }
/** One entry per updated ref verified, in the order of the input; `scan` null for a ref not among the updates. */
export type PreReceiveOutcome = { kind: 'pre-receive'; pushes: { push: PushReport; scan: ScanResult | null }[] }

/**
 * `verify`: the policy over a scope, then the credential scan of what no rule covers there
 * (src/operations/scan.ts).
 * @throws {UserError} when a revision or a pushed object is missing, or outside a git
 *   repository; {GitError} when git cannot read the history.
 */
export async function verifyWithScan(cwd: string, scope: PreReceiveScope): Promise<PreReceiveOutcome>
export async function verifyWithScan(cwd: string, scope: HistoryScope): Promise<HeadOutcome | HistoryOutcome>
export async function verifyWithScan(
  cwd: string,
  scope: HistoryScope | PreReceiveScope,
): Promise<HeadOutcome | HistoryOutcome | PreReceiveOutcome> {
  switch (scope.kind) {
    case 'pre-receive': {
      const pushes: PreReceiveOutcome['pushes'] = []
      for (const push of await verifyPushes(cwd, scope.updates)) {
        const update = scope.updates.find((u) => u.ref === push.ref)
        pushes.push({ push, scan: update ? await scanPush(cwd, update) : null })
      }
      return { kind: 'pre-receive', pushes }
    }
    case 'all':
      return { kind: 'history', report: await verifyAll(cwd), scan: await scanAll(cwd) }
    case 'range':
      return { kind: 'history', report: await verifyRange(cwd, scope.range), scan: await scanRange(cwd, scope.range) }
    case 'head': {
      const report = await verifyHead(cwd)
      return report ? { kind: 'head', report, scan: await scanHead(cwd) } : { kind: 'head', report: null, scan: null }
    }
  }
}
