/**
 * What this clone's git-seal knows about blobs it handled, in one append-only JSON-lines file
 * under the common git dir (shared by linked worktrees, never pushed):
 *
 * - **written**: a blob clean, the merge driver or rekey produced, with the recipients it was
 *   encrypted to (age headers do not name X25519 recipients, so `status` and `rekey` would
 *   otherwise not know whether a blob matches the config) and the path it was made for.
 * - **checked-out**: a blob smudge wrote to the work tree as stored (locked clone, no key).
 * - **replaced**: a blob rekey replaced at a path: its old recipients must not come back.
 * - **wrapped**: input that looked like ciphertext but could not be proven so, encrypted whole
 *   as content (see clean.ts). The guard refuses to commit such a blob; `status` flags it.
 * - **plaintext work tree**: plaintext clean found in the work tree of a `worktree: ciphertext`
 *   secret, stored encrypted (see clean.ts). The guard refuses to commit it; `status` flags it.
 * - **conflicted**: a merge driver's result that still holds conflict markers, stored
 *   encrypted. In a `worktree: ciphertext` work tree it stays ciphertext, so clean would keep
 *   it as proven: the guard refuses it by this record.
 *
 * "Proven at a path" (clean keeps such input unchanged) means: the newest written or
 * checked-out event of that blob at that path is not followed by a replaced event.
 *
 * Lines are appended in batches (one write of whole lines, which concurrent git commands cannot
 * interleave): a file opened per staged secret would cost more than encrypting it. Records the
 * guard relies on (sops blobs, wrapped blobs) are written before the filter answers git, since
 * `git commit -a` runs the pre-commit hook while its filter process is still alive.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { STATE_FILES } from '../git/state-dir.js'
import { BatchedAppender } from './appender.js'

export interface BlobRecord {
  blob: string
  format: 'age' | 'sops'
  /** public recipient keys, as written in the config */
  recipients: string[]
  /** the path it was encrypted for (absent in records older versions wrote) */
  path?: string
  /** true when the input was kept whole as content because it could not be proven ciphertext */
  wrapped?: boolean
  /** true when the input was plaintext in the work tree of a `worktree: ciphertext` secret */
  plaintextWorktree?: boolean
  /** true when it is a merge's result that still holds conflict markers */
  conflicted?: boolean
}

type Event = 'checked-out' | 'replaced'

interface EventLine {
  event: Event
  blob: string
  path: string
}

const FILE = STATE_FILES.blobRecords

/** One key for a (blob, path) pair; NUL never occurs in a path git stores. */
const at = (blob: string, path: string): string => `${blob}\0${path}`

export class BlobRecords {
  private byBlob: Map<string, BlobRecord> | null = null
  /** the newest event per (blob, path): true when it proves the blob there */
  private proofs: Map<string, boolean> | null = null
  /** lines added before the file was first read, applied on top of it when it is */
  private early: (BlobRecord | EventLine)[] = []
  private readonly appender: BatchedAppender
  constructor(private readonly dir: string) {
    this.appender = new BatchedAppender(join(dir, FILE))
  }

  /**
   * Remembers a blob git-seal produced; written by {@link flush} (at the latest when the process
   * is done), or at once with `now` when another process may need it before this one ends.
   */
  add(record: BlobRecord, now = false): void {
    this.push(record, now)
    this.apply(record)
  }

  /** Smudge wrote this blob to the work tree at `path` as stored (it holds ciphertext there). */
  checkedOut(blob: string, path: string): void {
    const line: EventLine = { event: 'checked-out', blob, path }
    if (this.load().proofs.get(at(blob, path)) === true) return
    this.push(line, false)
    this.apply(line)
  }

  /** Rekey replaced this blob at `path`: clean must not bring it back. */
  replaced(blob: string, path: string): void {
    const line: EventLine = { event: 'replaced', blob, path }
    this.push(line, true)
    this.apply(line)
  }

  flush(): void {
    this.appender.flush()
  }

  get(blob: string): BlobRecord | undefined {
    return this.load().byBlob.get(blob)
  }

  /** True when this clone wrote or checked out `blob` at `path` and no rekey replaced it there since. */
  isProvenAt(blob: string, path: string): boolean {
    return this.load().proofs.get(at(blob, path)) === true
  }

  /** True when a rekey replaced `blob` at `path` (and nothing proved it there since). */
  isReplacedAt(blob: string, path: string): boolean {
    return this.load().proofs.get(at(blob, path)) === false
  }

  /** True when this clone wrote or checked out `blob` at any path (the guard's question for sops blobs). */
  isKnown(blob: string): boolean {
    const state = this.load()
    const record = state.byBlob.get(blob)
    if (record && !record.wrapped) return true
    for (const [key, proven] of state.proofs) if (proven && key.startsWith(blob + '\0')) return true
    return false
  }

  isWrapped(blob: string): boolean {
    return this.load().byBlob.get(blob)?.wrapped === true
  }

  /** True when clean made this blob from plaintext in a `worktree: ciphertext` secret's work tree. */
  isFromPlaintextWorktree(blob: string): boolean {
    return this.load().byBlob.get(blob)?.plaintextWorktree === true
  }

  /** True when the merge driver made this blob from a result that holds conflict markers. */
  isConflicted(blob: string): boolean {
    return this.load().byBlob.get(blob)?.conflicted === true
  }

  private push(line: BlobRecord | EventLine, now: boolean): void {
    this.appender.push(JSON.stringify(line) + '\n')
    if (now) this.appender.flush()
  }

  private apply(line: BlobRecord | EventLine): void {
    if (!this.byBlob || !this.proofs) {
      this.early.push(line)
      return
    }
    if ('event' in line) {
      this.proofs.set(at(line.blob, line.path), line.event === 'checked-out')
      return
    }
    this.byBlob.set(line.blob, line)
    if (line.path !== undefined && !line.wrapped) this.proofs.set(at(line.blob, line.path), true)
  }

  private load(): { byBlob: Map<string, BlobRecord>; proofs: Map<string, boolean> } {
    if (!this.byBlob || !this.proofs) {
      this.byBlob = new Map()
      this.proofs = new Map()
      let text = ''
      try {
        text = readFileSync(join(this.dir, FILE), 'utf8')
      } catch {
        // no records yet (or an unreadable state dir): nothing is proven by record
      }
      for (const line of text.split('\n')) {
        if (!line) continue
        let parsed: unknown
        try {
          parsed = JSON.parse(line)
        } catch {
          continue // a torn last line after a crash: skip it
        }
        const r = parsed as Partial<BlobRecord & EventLine>
        if (typeof r.blob !== 'string') continue
        if ((r.event === 'checked-out' || r.event === 'replaced') && typeof r.path === 'string')
          this.apply(r as EventLine)
        else if (Array.isArray(r.recipients) && (r.format === 'age' || r.format === 'sops')) this.apply(r as BlobRecord)
      }
      for (const line of this.early.splice(0)) this.apply(line)
    }
    return { byBlob: this.byBlob, proofs: this.proofs }
  }
}
