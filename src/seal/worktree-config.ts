/**
 * The config as the work tree states it: `.gitseal.yaml` at the top of the work tree (the
 * user's current intent, which may be ahead of what was committed), read once per process,
 * from its cache in the state directory when it holds this content (src/config/cache.ts).
 */
import { findSecret, loadConfigCached, matchingSecrets, type SealConfig, type SecretRule } from '../config/index.js'
import type { StateDirectory } from '../git/state-dir.js'
import { UserError } from '../ui.js'

export class WorktreeConfig {
  private cache: SealConfig | null | undefined
  /** set once a config was found missing or invalid by {@link asksCiphertext} */
  private unreadable = false

  constructor(
    private readonly root: string,
    private readonly state: StateDirectory,
  ) {}

  /** The config, or null when the work tree has none. @throws {ConfigError} when it is invalid. */
  private load(): SealConfig | null {
    // Cached by content under the state directory (config/cache.ts): most starts skip the parse.
    if (this.cache === undefined) this.cache = loadConfigCached(this.root, this.state.path)
    return this.cache
  }

  /**
   * The work tree's config.
   * @throws {ConfigError} when it is invalid; {@link UserError} when there is none.
   */
  get(): SealConfig {
    const config = this.load()
    if (config === null) {
      throw new UserError(
        'no .gitseal.yaml at the top of the work tree',
        "run 'git-seal init' to create one, or remove the git-seal lines from .gitattributes",
      )
    }
    return config
  }

  /**
   * The secret rule for a path.
   * @throws {UserError} when no rule matches (a stale .gitattributes) or two do.
   */
  secretFor(path: string): SecretRule {
    const rule = findSecret(this.get(), path)
    if (!rule) {
      throw new UserError(
        `${path}: marked filter=git-seal in .gitattributes but no secret in .gitseal.yaml matches it`,
        "run 'git-seal sync' to rewrite the .gitattributes block from .gitseal.yaml",
      )
    }
    return rule
  }

  /**
   * True when a rule matching `path` says `worktree: ciphertext`. Never throws: a config that is
   * missing or invalid has no rule to say so (asked once per process).
   */
  asksCiphertext(path: string): boolean {
    if (this.unreadable) return false
    let config: SealConfig | null
    try {
      config = this.load()
    } catch {
      // Missing or invalid: no rule to say so, the driver decides (asked once per process).
      this.unreadable = true
      return false
    }
    if (config === null || !config.secrets.some((rule) => rule.worktree === 'ciphertext')) return false
    // Two rules for one path (which clean refuses): either one asking for ciphertext is enough.
    return matchingSecrets(config, path).some((rule) => rule.worktree === 'ciphertext')
  }
}
