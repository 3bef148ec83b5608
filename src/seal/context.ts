import { repoPaths, type RepoPaths } from '../git/repo.js'
import { StateDirectory } from '../git/state-dir.js'
import { reportError } from '../ui.js'
import { KeyRing } from './keyring.js'
import { SmudgeReport } from './report.js'
import { StoredBefore } from './stored-before.js'
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
}
