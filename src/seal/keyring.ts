/**
 * The keys a git-seal process works with: the identities that decrypt (loaded once, when first
 * needed), the recipients each secret rule encrypts to, and the age headers for them, made
 * ahead on a second thread when a command encrypts many files.
 */
import { dirname, join } from 'node:path'
import {
  HeaderSupply,
  declarationText,
  isHybridRecipient,
  parseRecipient,
  type Identity,
  type PreparedHeader,
  type Recipient,
} from '../age/index.js'
import type { SecretRule } from '../config/index.js'
import { loadIdentities, type IdentitySet } from '../keys/identities.js'
import { testHooks, type TestHooks } from '../test-hooks.js'
import { debug, warning } from '../ui.js'

export class KeyRing {
  /** age headers, made ahead on a second thread when a command encrypts many files */
  readonly headers: HeaderSupply
  private identityCache: IdentitySet | undefined
  private readonly recipientCache = new Map<string, Recipient>()
  private readonly headerKeyCache = new WeakMap<SecretRule, string[]>()

  constructor(
    private readonly env: NodeJS.ProcessEnv = process.env,
    hooks: Pick<TestHooks, 'prewrap'> = testHooks(env),
  ) {
    // The worker's bundle sits next to ours (dist/); run from sources (tests), there is none.
    // prewrap 'wait' (tests): start at once and take every header from the worker.
    const entry = process.argv[1]
    const testMode = hooks.prewrap
    this.headers = new HeaderSupply({
      workerFile: entry && testMode !== 'off' ? join(dirname(entry), 'prewrap-worker.mjs') : null,
      startAfter: testMode === 'wait' ? 0 : 8,
      waitForWorker: testMode === 'wait',
    })
  }

  /** The identities found (keys.txt, SOPS_AGE_KEY…), with the problems met; each problem is warned about once. */
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
   * A header for one age file of this rule (its X25519 and ssh recipients and the declaration;
   * post-quantum ones go through encryptHybrid).
   * @throws {AgeError} when a key in the config does not parse.
   */
  headerFor(rule: SecretRule): PreparedHeader {
    return this.headers.take(this.headerKeys(rule), () => this.recipientsFor(rule))
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

  /** Stops the header worker. */
  close(): void {
    this.headers.close()
    if (this.env['GIT_SEAL_DEBUG']?.split(',').includes('prewrap'))
      debug(`age headers: ${this.headers.counts.ahead} made ahead, ${this.headers.counts.inline} inline`)
  }
}
