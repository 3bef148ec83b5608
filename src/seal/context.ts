/**
 * Everything clean and smudge need, loaded once per process and only when first needed, in
 * parts that say what they are:
 *
 * - {@link SealContext.keys}: the keys (identities, recipients, the header worker), {@link KeyRing};
 * - {@link SealContext.stored}: what was stored before (index, HEAD, objects, blob records,
 *   plaintext MACs), {@link StoredBefore};
 * - {@link SealContext.worktreeConfig}: the config as the work tree states it, {@link WorktreeConfig};
 * - {@link SealContext.state}: the state directory, which alone names the files under
 *   `.git/git-seal/`, {@link StateDirectory}.
 *
 * The context builds the parts, owns what belongs to one process's run (the smudge report,
 * deferred bookkeeping, whether git started us as the ciphertext driver) and closes them.
 * Code below the commands takes the part it needs; the methods marked deprecated are delegates
 * kept while src/commands and src/operations move to the parts.
 */
import type { Identity, PreparedHeader, Recipient, HeaderSupply } from '../age/index.js'
import type { SealConfig, SecretRule } from '../config/index.js'
import type { CatFileBatch } from '../git/objects.js'
import { repoPaths, type RepoPaths } from '../git/repo.js'
import { StateDirectory } from '../git/state-dir.js'
import type { IdentitySet } from '../keys/identities.js'
import { reportError } from '../ui.js'
import type { PlaintextMacs } from './plaintext-macs.js'
import { KeyRing } from './keyring.js'
import type { BlobRecords } from './records.js'
import { SmudgeReport } from './report.js'
import { StoredBefore, type StoredVersion } from './stored-before.js'
import { WorktreeConfig } from './worktree-config.js'
import { testHooks, type TestHooks } from '../test-hooks.js'

export const NO_KEY_HINT =
  "put your age key in ~/.config/sops/age/keys.txt (or set SOPS_AGE_KEY / SOPS_AGE_KEY_FILE), then run 'git-seal install' to decrypt"

export class SealContext {
  readonly report = new SmudgeReport()
  /** the keys: identities, recipients, the header worker */
  readonly keys: KeyRing
  /** what was stored before: index, HEAD, objects, blob records, plaintext MACs */
  readonly stored: StoredBefore
  /** the config as the work tree states it */
  readonly worktreeConfig: WorktreeConfig
  /** git-seal's state directory (`<common git dir>/git-seal/`) */
  readonly state: StateDirectory

  constructor(
    readonly paths: RepoPaths,
    readonly root: string,
    readonly env: NodeJS.ProcessEnv = process.env,
    hooks: Pick<TestHooks, 'prewrap'> = testHooks(env),
  ) {
    this.state = StateDirectory.of(paths)
    this.keys = new KeyRing(env, hooks)
    this.stored = new StoredBefore(paths, root, this.state, env)
    this.worktreeConfig = new WorktreeConfig(root, this.state)
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
    return this.ciphertextDriver || this.worktreeConfig.asksCiphertext(path)
  }

  /** `git-seal lock` leaves ciphertext in the work tree even when a key is at hand. */
  get locked(): boolean {
    // Read once: lock and unlock re-checkout through a git command of their own, which starts
    // a filter process of its own.
    this.lockedCache ??= this.state.isLocked()
    return this.lockedCache
  }
  private lockedCache: boolean | undefined

  private deferred: (() => void)[] = []

  /**
   * Bookkeeping that need not hold up git (records, plaintext MACs): the filter runs it right
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

  close(): void {
    this.runDeferred()
    this.stored.flush()
    this.keys.close()
    this.stored.close()
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

  // Delegates kept while src/commands and src/operations move to the parts (issue 15).

  /** @deprecated use ctx.stored.records */
  get records(): BlobRecords {
    return this.stored.records
  }

  /** @deprecated use ctx.stored.plaintextMacs */
  get fingerprints(): PlaintextMacs {
    return this.stored.plaintextMacs
  }

  /** @deprecated use ctx.stored.objects */
  get objects(): CatFileBatch {
    return this.stored.objects
  }

  /** @deprecated use ctx.keys.headers */
  get headers(): HeaderSupply {
    return this.keys.headers
  }

  /** @deprecated use ctx.worktreeConfig.get() */
  config(): SealConfig {
    return this.worktreeConfig.get()
  }

  /** @deprecated use ctx.worktreeConfig.secretFor() */
  secretFor(path: string): SecretRule {
    return this.worktreeConfig.secretFor(path)
  }

  /** @deprecated use ctx.keys.identitySet() */
  identitySet(): IdentitySet {
    return this.keys.identitySet()
  }

  /** @deprecated use ctx.keys.identities() */
  identities(): Identity[] {
    return this.keys.identities()
  }

  /** @deprecated use ctx.keys.recipientsFor() */
  recipientsFor(rule: SecretRule): Recipient[] {
    return this.keys.recipientsFor(rule)
  }

  /** @deprecated use ctx.keys.headerFor() */
  headerFor(rule: SecretRule): PreparedHeader {
    return this.keys.headerFor(rule)
  }

  /** @deprecated use ctx.stored.blob() */
  blob(oid: string): Promise<Uint8Array | null> {
    return this.stored.blob(oid)
  }

  /** @deprecated use ctx.stored.indexOrHeadOid() */
  indexOrHeadOid(path: string): Promise<string | null> {
    return this.stored.indexOrHeadOid(path)
  }

  /** @deprecated use ctx.stored.storedVersionOids() */
  storedVersionOids(path: string): Promise<string[]> {
    return this.stored.storedVersionOids(path)
  }

  /** @deprecated use ctx.stored.storedVersions() */
  storedVersions(path: string): Promise<StoredVersion[]> {
    return this.stored.storedVersions(path)
  }
}
