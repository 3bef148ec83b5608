/**
 * Everything clean and smudge need, loaded once per process and only when first needed: the
 * config (from the work tree: the user's current intent), identities, recipients, git objects.
 */
import { existsSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { declarationText, isHybridRecipient, parseRecipient, type Identity, type PreparedHeader, type Recipient } from '../age/index.js'
import { HeaderSupply } from '../age/prewrap.js'
import { findSecret, loadConfigCached, matchingSecrets, type SealConfig, type SecretRule } from '../config/index.js'
import { CatFileBatch, readLooseBlob } from '../git/objects.js'
import { readIndexFile } from '../git/index-file.js'
import { lsTree } from '../git/plumbing.js'
import { repoPaths, stateDir, type RepoPaths } from '../git/repo.js'
import { loadIdentities, type IdentitySet } from '../keys/identities.js'
import { UserError, debug, reportError, warning } from '../ui.js'
import { Fingerprints } from './fingerprints.js'
import { BlobRecords } from './records.js'
import { SmudgeReport } from './report.js'
import { testHooks, type TestHooks } from '../test-hooks.js'

export const NO_KEY_HINT =
  "put your age key in ~/.config/sops/age/keys.txt (or set SOPS_AGE_KEY / SOPS_AGE_KEY_FILE), then run 'git-seal install' to decrypt"

export class SealContext {
  readonly report = new SmudgeReport()
  readonly records: BlobRecords
  readonly fingerprints: Fingerprints
  /** age headers, made ahead on a second thread when a command encrypts many files */
  readonly headers: HeaderSupply
  readonly objects: CatFileBatch
  private configCache: SealConfig | null | undefined
  private identityCache: IdentitySet | undefined
  private recipientCache = new Map<string, Recipient>()

  constructor(
    readonly paths: RepoPaths,
    readonly root: string,
    readonly env: NodeJS.ProcessEnv = process.env,
    hooks: Pick<TestHooks, 'prewrap'> = testHooks(env),
  ) {
    this.records = new BlobRecords(stateDir(paths))
    this.fingerprints = new Fingerprints(stateDir(paths))
    // The worker's bundle sits next to ours (dist/); run from sources (tests), there is none.
    // prewrap 'wait' (tests): start at once and take every header from the worker.
    const entry = process.argv[1]
    const testMode = hooks.prewrap
    this.headers = new HeaderSupply({
      workerFile: entry && testMode !== 'off' ? join(dirname(entry), 'prewrap-worker.mjs') : null,
      startAfter: testMode === 'wait' ? 0 : 8,
      waitForWorker: testMode === 'wait',
    })
    this.objects = new CatFileBatch(root, env)
  }

  /** For the repository around `cwd` (git runs filters at the top of the work tree). */
  static open(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): SealContext {
    const paths = repoPaths(cwd)
    return new SealContext(paths, paths.top ?? cwd, env)
  }

  /**
   * True when git started this process as the `worktree: ciphertext` driver (git-seal-ct):
   * every path it serves keeps its ciphertext in the work tree.
   */
  ciphertextDriver = false

  /**
   * True when the work tree holds `path`'s ciphertext, not its plaintext: git runs the ct driver
   * for it, or its rule says `worktree: ciphertext` (a stale attributes block, a nested
   * .gitattributes: either one keeps plaintext out of the work tree). Never throws: a config
   * that is missing or invalid leaves the driver to decide.
   */
  keepsCiphertext(path: string): boolean {
    if (this.ciphertextDriver) return true
    if (this.configUnreadable) return false
    let config: SealConfig | null
    try {
      config = this.configCache === undefined ? (this.configCache = loadConfigCached(this.root, stateDir(this.paths))) : this.configCache
    } catch {
      // Missing or invalid: no rule to say so, the driver decides (asked once per process).
      this.configUnreadable = true
      return false
    }
    // Two rules for one path (which clean refuses): either one asking for ciphertext is enough.
    return config !== null && matchingSecrets(config, path).some((rule) => rule.worktree === 'ciphertext')
  }
  private configUnreadable = false

  /** `git-seal lock` leaves ciphertext in the work tree even when a key is at hand. */
  get locked(): boolean {
    // Read once: lock and unlock re-checkout through a git command of their own, which starts
    // a filter process of its own.
    this.lockedCache ??= existsSync(join(stateDir(this.paths), 'locked'))
    return this.lockedCache
  }
  private lockedCache: boolean | undefined

  /**
   * The work tree's config.
   * @throws {ConfigError} when it is invalid; {@link UserError} when there is none.
   */
  config(): SealConfig {
    // Cached by content under the state directory (config/cache.ts): most starts skip the parse.
    if (this.configCache === undefined) this.configCache = loadConfigCached(this.root, stateDir(this.paths))
    if (this.configCache === null) {
      throw new UserError('no .gitseal.yaml at the top of the work tree', "run 'git-seal init' to create one, or remove the git-seal lines from .gitattributes")
    }
    return this.configCache
  }

  /**
   * The secret rule for a path.
   * @throws {UserError} when no rule matches (a stale .gitattributes) or two do.
   */
  secretFor(path: string): SecretRule {
    const rule = findSecret(this.config(), path)
    if (!rule) {
      throw new UserError(`${path}: marked filter=git-seal in .gitattributes but no secret in .gitseal.yaml matches it`, "run 'git-seal sync' to rewrite the .gitattributes block from .gitseal.yaml")
    }
    return rule
  }

  identitySet(): IdentitySet {
    if (!this.identityCache) {
      this.identityCache = loadIdentities(this.env)
      for (const problem of this.identityCache.problems) warning(problem)
    }
    return this.identityCache
  }

  identities(): Identity[] {
    return this.identitySet().identities
  }

  /** @throws {AgeError} when a key in the config does not parse (validation should have caught it). */
  recipientsFor(rule: SecretRule): Recipient[] {
    // Hybrid post-quantum keys are wrapped by encryptHybrid, not by a Recipient of ours.
    return this.headerKeys(rule).map((key) => {
      let recipient = this.recipientCache.get(key)
      if (!recipient) {
        recipient = parseRecipient(key)
        this.recipientCache.set(key, recipient)
      }
      return recipient
    })
  }

  /**
   * The recipients an age header of this rule is written with, by their text forms: the rule's
   * X25519 and ssh keys, then the declaration of every recipient of the rule (src/age/declaration.ts),
   * so any clone can read whom the blob is for.
   */
  private headerKeys(rule: SecretRule): string[] {
    const cached = this.headerKeyCache.get(rule)
    if (cached) return cached
    const keys = rule.recipients.filter((r) => !isHybridRecipient(r.key)).map((r) => r.key)
    const declaration = declarationText(
      rule.recipients.map((r) => r.key),
      rule.recipients.length,
    )
    const out = declaration ? [...keys, declaration] : keys
    this.headerKeyCache.set(rule, out)
    return out
  }
  private readonly headerKeyCache = new WeakMap<SecretRule, string[]>()

  private deferred: (() => void)[] = []

  /**
   * Bookkeeping that need not hold up git (records, fingerprints): the filter runs it right
   * after writing an answer, while git works on that answer on its side; one-shot commands
   * run it at close. A task that fails costs only the shortcut it would have recorded.
   */
  later(task: () => void): void {
    this.deferred.push(task)
  }

  runDeferred(): void {
    const tasks = this.deferred
    this.deferred = []
    for (const task of tasks) {
      try {
        task()
      } catch {
        // bookkeeping only (see later()): a failed task costs the shortcut it would have recorded
      }
    }
  }

  /**
   * A header for one age file of this rule (its X25519 and ssh recipients and the declaration;
   * post-quantum ones go through encryptHybrid).
   * @throws {AgeError} when a key in the config does not parse.
   */
  headerFor(rule: SecretRule): PreparedHeader {
    return this.headers.take(this.headerKeys(rule), () => this.recipientsFor(rule))
  }

  private indexCache: Map<string, string> | null | undefined
  private headCache: Map<string, string> | undefined

  /** Stage-0 index entries read in-process; null when git must be asked instead. */
  private indexStamp = ''

  /**
   * One git command (rebase, merge) can rewrite the index and move HEAD many times while this
   * process serves it: the cache is checked against the index file's stat on every use, and
   * HEAD's listing is dropped with it.
   */
  private indexEntries(): Map<string, string> | null {
    const file = this.env['GIT_INDEX_FILE'] ? resolve(this.root, this.env['GIT_INDEX_FILE']) : join(this.paths.gitDir, 'index')
    let stamp = 'missing'
    try {
      const st = statSync(file, { bigint: true })
      stamp = `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`
    } catch {
      // no index yet (a fresh repository): 'missing' is its stamp
    }
    if (this.indexCache === undefined || stamp !== this.indexStamp) {
      this.indexStamp = stamp
      this.indexCache = readIndexFile(file, this.paths.objectFormat === 'sha256' ? 32 : 20)
      this.headCache = undefined
    }
    return this.indexCache
  }

  private headEntries(): Map<string, string> {
    if (!this.headCache) {
      this.headCache = new Map()
      for (const entry of lsTree(this.root, 'HEAD', { env: this.env }) ?? []) {
        if (entry.type === 'blob') this.headCache.set(entry.path, entry.oid)
      }
    }
    return this.headCache
  }

  /** A blob's bytes: straight from a loose object when it is one, else from cat-file. */
  async blob(oid: string): Promise<Uint8Array | null> {
    if (!this.env['GIT_OBJECT_DIRECTORY']) {
      const loose = readLooseBlob(join(this.paths.commonDir, 'objects'), oid)
      if (loose) return loose
    }
    const object = await this.objects.get(oid)
    return object && object.type === 'blob' ? object.content : null
  }

  /**
   * The blob input at `path` must equal to be proven ciphertext by identity: the index entry's,
   * HEAD's only when the index has none (a new file, or one with unmerged stages).
   */
  async indexOrHeadOid(path: string): Promise<string | null> {
    const index = this.indexEntries()
    if (index === null) {
      const staged = await this.objects.get(`:${path}`)
      if (staged?.type === 'blob') return staged.oid
      const head = await this.objects.get(`HEAD:${path}`)
      return head?.type === 'blob' ? head.oid : null
    }
    return index.get(path) ?? this.headEntries().get(path) ?? null
  }

  /** The ids of the stored versions of a path (index, then HEAD), without reading them when the index is readable in-process. */
  async storedVersionOids(path: string): Promise<string[]> {
    const index = this.indexEntries()
    if (index === null) return (await this.storedVersions(path)).flatMap((v) => (v.oid ? [v.oid] : []))
    return this.distinctOids(index, path)
  }

  /** The index's blob of a path, then HEAD's, each once. */
  private distinctOids(index: Map<string, string>, path: string): string[] {
    return [index.get(path), this.headEntries().get(path)].filter((o, i, all): o is string => o !== undefined && all.indexOf(o) === i)
  }

  /**
   * The stored versions of a path that may hold its previous content: the index's, then HEAD's
   * (distinct ones only). Without a process round trip when the index can be read in-process.
   */
  async storedVersions(path: string): Promise<{ oid: string | null; content: Uint8Array }[]> {
    const index = this.indexEntries()
    if (index === null) {
      const objects = await Promise.all([this.objects.get(`:${path}`), this.objects.get(`HEAD:${path}`)])
      const seen = new Set<string>()
      return objects.filter((o) => o !== null && o.type === 'blob' && !seen.has(o.oid) && seen.add(o.oid)).map((o) => ({ oid: o!.oid, content: o!.content }))
    }
    const oids = this.distinctOids(index, path)
    const out: { oid: string | null; content: Uint8Array }[] = []
    for (const oid of oids) {
      const content = await this.blob(oid)
      if (content) out.push({ oid, content })
    }
    return out
  }

  close(): void {
    this.runDeferred()
    this.records.flush()
    this.fingerprints.flush()
    this.headers.close()
    if (this.env['GIT_SEAL_DEBUG']?.split(',').includes('prewrap')) debug(`age headers: ${this.headers.counts.ahead} made ahead, ${this.headers.counts.inline} inline`)
    this.objects.close()
    this.report.finish()
  }

  /** Runs a filter entry point with a context: any error reported, exit status 1, context closed. */
  static async serve(work: (ctx: SealContext) => Promise<void>): Promise<number> {
    const ctx = SealContext.open()
    try {
      await work(ctx)
      return 0
    } catch (e) {
      reportError(e)
      return 1
    } finally {
      ctx.close()
    }
  }
}
