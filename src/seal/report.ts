/**
 * What smudge tells the user about files it could not decrypt. A checkout of 5,000 secrets
 * without a key must not print 5,000 lines: the first few are named, the rest counted, and the
 * hint comes once, at the end of the process.
 */
import { printHint, warning } from '../ui.js'

const MAX_NAMED = 20

export class SmudgeReport {
  private named = 0
  private unnamed = 0
  private hints = new Set<string>()
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

  /** Prints the summary and hints; call once when the process is done. */
  finish(): void {
    if (this.unnamed > 0) warning(`${this.unnamed} more file(s) kept as stored`)
    for (const hint of this.hints) printHint(hint)
    this.hints.clear()
    this.unnamed = 0
  }
}
