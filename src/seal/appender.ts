/**
 * Lines appended to a state file in batches: one write of whole lines, which concurrent git
 * commands cannot interleave, instead of a file opened per staged secret. Best effort: a
 * read-only git dir must not fail git, and a lost line only costs a shortcut (fingerprints) or
 * a detail of `status` (blob records).
 */
import { appendFileSync } from 'node:fs'

export class BatchedAppender {
  private pending: string[] = []

  constructor(
    private readonly file: string,
    private readonly batch = 256,
  ) {}

  /** Queues one line (with its newline); written by {@link flush}, at the latest when the process is done. */
  push(line: string): void {
    this.pending.push(line)
    if (this.pending.length >= this.batch) this.flush()
  }

  flush(): void {
    if (this.pending.length === 0) return
    const lines = this.pending.join('')
    this.pending = []
    try {
      appendFileSync(this.file, lines, { mode: 0o600 })
    } catch {
      // best effort (see above): a read-only git dir must not fail git
    }
  }
}
