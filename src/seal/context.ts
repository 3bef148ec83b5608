/**
 * Everything clean and smudge need, loaded once per process and only when first needed: the
 * config (from the work tree: the user's current intent), identities, recipients, git objects.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { parseRecipient, type Identity, type Recipient } from '../age/index.js'
import { findSecret, loadConfig, type SealConfig, type SecretRule } from '../config/index.js'
import { CatFileBatch } from '../git/objects.js'
import { repoPaths, stateDir, type RepoPaths } from '../git/repo.js'
import { loadIdentities, type IdentitySet } from '../keys/identities.js'
import { UserError, warning } from '../ui.js'
import { BlobRecords } from './records.js'
import { SmudgeReport } from './report.js'

export const NO_KEY_HINT =
  "put your age key in ~/.config/sops/age/keys.txt (or set SOPS_AGE_KEY / SOPS_AGE_KEY_FILE), then run 'git-seal install' to decrypt"

export class SealContext {
  readonly report = new SmudgeReport()
  readonly records: BlobRecords
  readonly objects: CatFileBatch
  private configCache: SealConfig | null | undefined
  private identityCache: IdentitySet | undefined
  private recipientCache = new Map<string, Recipient>()

  constructor(
    readonly paths: RepoPaths,
    readonly root: string,
    readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.records = new BlobRecords(stateDir(paths))
    this.objects = new CatFileBatch(root, env)
  }

  /** For the repository around `cwd` (git runs filters at the top of the work tree). */
  static open(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): SealContext {
    const paths = repoPaths(cwd)
    return new SealContext(paths, paths.top ?? cwd, env)
  }

  /** `git-seal lock` leaves ciphertext in the work tree even when a key is at hand. */
  get locked(): boolean {
    return existsSync(join(stateDir(this.paths), 'locked'))
  }

  /**
   * The work tree's config.
   * @throws {ConfigError} when it is invalid; {@link UserError} when there is none.
   */
  config(): SealConfig {
    if (this.configCache === undefined) this.configCache = loadConfig(this.root)
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
    return rule.recipients.map((r) => {
      let recipient = this.recipientCache.get(r.key)
      if (!recipient) {
        recipient = parseRecipient(r.key)
        this.recipientCache.set(r.key, recipient)
      }
      return recipient
    })
  }

  close(): void {
    this.objects.close()
    this.report.finish()
  }
}
