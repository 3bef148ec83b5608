/**
 * Which recipients each blob was encrypted to. age headers do not name X25519 recipients, so
 * `status` and `rekey` would otherwise not know whether a blob matches the config. An
 * append-only JSON-lines file under the common git dir, shared by linked worktrees. Records
 * are appended in batches (one write of whole lines, which concurrent git commands cannot
 * interleave): a file opened per staged secret would cost more than encrypting it.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { BatchedAppender } from './appender.js'

export interface BlobRecord {
  blob: string
  format: 'age' | 'sops'
  /** public recipient keys, as written in the config */
  recipients: string[]
}

const FILE = 'blobs.jsonl'

export class BlobRecords {
  private cache: Map<string, BlobRecord> | null = null
  private readonly appender: BatchedAppender
  constructor(private readonly dir: string) {
    this.appender = new BatchedAppender(join(dir, FILE))
  }

  /** Remembers a blob git-seal produced; written by {@link flush} (at the latest when the process is done). */
  add(record: BlobRecord): void {
    this.appender.push(JSON.stringify(record) + '\n')
    this.cache?.set(record.blob, record)
  }

  flush(): void {
    this.appender.flush()
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
