/**
 * Which recipients each blob was encrypted to. age headers do not name X25519 recipients, so
 * `status` and `rekey` would otherwise not know whether a blob matches the config. An
 * append-only JSON-lines file under the common git dir, shared by linked worktrees. Records
 * are appended in batches (one write of whole lines, which concurrent git commands cannot
 * interleave): a file opened per staged secret would cost more than encrypting it.
 */
import { appendFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export interface BlobRecord {
  blob: string
  format: 'age' | 'sops'
  /** public recipient keys, as written in the config */
  recipients: string[]
}

const FILE = 'blobs.jsonl'

export class BlobRecords {
  private cache: Map<string, BlobRecord> | null = null
  constructor(private readonly dir: string) {}

  private pending: string[] = []

  /** Remembers a blob git-seal produced; written by {@link flush} (at the latest when the process is done). */
  add(record: BlobRecord): void {
    this.pending.push(JSON.stringify(record) + '\n')
    this.cache?.set(record.blob, record)
    if (this.pending.length >= 256) this.flush()
  }

  /** Best effort: a read-only git dir must not fail `git add`; a lost record only makes status say less. */
  flush(): void {
    if (this.pending.length === 0) return
    const lines = this.pending.join('')
    this.pending = []
    try {
      appendFileSync(join(this.dir, FILE), lines, { mode: 0o600 })
    } catch {}
  }

  get(blob: string): BlobRecord | undefined {
    if (!this.cache) {
      this.cache = new Map()
      let text = ''
      try {
        text = readFileSync(join(this.dir, FILE), 'utf8')
      } catch {}
      for (const line of text.split('\n')) {
        if (!line) continue
        try {
          const r = JSON.parse(line) as BlobRecord
          if (typeof r.blob === 'string' && Array.isArray(r.recipients)) this.cache.set(r.blob, r)
        } catch {
          // a torn last line after a crash: skip it
        }
      }
    }
    return this.cache.get(blob)
  }
}
