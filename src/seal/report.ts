/**
 * What smudge tells the user about files it could not decrypt. A checkout of 5,000 secrets
 * without a key must not print 5,000 lines: the first few are named, the rest counted, and the
 * hint comes once, at the end of the process.
 */
import { info, printHint, warning } from '../ui.js'

const MAX_NAMED = 20

export class SmudgeReport {
  private named = 0
  private unnamed = 0
  private hints = new Set<string>()
  /** secrets kept encrypted because they are for other recipients (a target-only clone, CI): counted, not named */
  private notForYou = 0
  /** secrets kept encrypted because no identity was found at all: counted, with one hint */
  private noKey = 0
  /** every file kept as stored in this process, for status and tests */
  readonly kept: { path: string; why: string }[] = []

  /** A file kept as ciphertext (or as stored); `why` says why, without any secret. */
  keptAsStored(path: string, why: string, hint?: string): void {
    if (hint) this.hints.add(hint)
    this.kept.push({ path, why })
    if (this.named < MAX_NAMED) {
      this.named++
      warning(`${path}: ${why}; kept as stored`)
    } else {
      this.unnamed++
    }
  }

  /**
   * A secret encrypted to other recipients than the keys here: expected in a clone that holds
   * a target's key only, so it is counted and summarised in one line, not warned about each.
   */
  keptNotForYou(path: string): void {
    this.kept.push({ path, why: 'not encrypted to you' })
    this.notForYou++
  }

  /** A secret kept encrypted because no identity was found: one line and one hint for all of them. */
  keptWithoutKey(path: string, hint: string): void {
    this.kept.push({ path, why: 'no age identity found' })
    this.noKey++
    this.hints.add(hint)
  }

  /** Prints the summary and hints; call once when the process is done. */
  finish(): void {
    if (this.notForYou > 0)
      info(
        `${this.notForYou} secret${this.notForYou === 1 ? ' is' : 's are'} not encrypted to you (kept encrypted; 'git-seal status' lists them)`,
      )
    if (this.noKey > 0) warning(`no age identity found; ${this.noKey} secret file(s) kept encrypted`)
    this.notForYou = 0
    this.noKey = 0
    if (this.unnamed > 0) warning(`${this.unnamed} more file(s) kept as stored`)
    for (const hint of this.hints) printHint(hint)
    this.hints.clear()
    this.unnamed = 0
  }
}
