/**
 * Plaintext MACs: HMAC-SHA-256, under a key that never leaves this clone, of what a blob
 * decrypts to. After a touch (an editor save, a branch switch, `git stash`), git asks clean
 * whether each file still matches its stored blob; a MAC answers with one HMAC instead of an
 * X25519 unwrap and a decryption, which is most of what `git status` costs.
 *
 * Called "fingerprints" before issue 15, a word `recipients` uses for the short fingerprint of
 * a public key: the code says MAC now, but the files keep their names on disk (`fingerprints`,
 * `fingerprint.key`, src/git/state-dir.ts) so existing clones keep their MACs and `lock` still
 * erases them.
 *
 * - The key (32 random bytes) and the MACs live in the per-clone state dir, 0600 in a
 *   0700 dir, next to the plaintext work tree they describe: they reveal nothing a reader of the
 *   work tree does not already see. `git-seal lock` deletes both, so a locked clone offers no
 *   way to test guesses. Nothing here is ever pushed.
 * - A MAC is only a shortcut: no entry, an unreadable file or a missing key fall back
 *   to decrypting. Entries are written only for a blob whose plaintext git-seal has just seen
 *   (encrypted it, or decrypted it); a match means the plaintext is equal, so the blob it names
 *   is the right one to hand back.
 * - Appended in batches like the blob records; the file is rewritten without duplicates when
 *   they outnumber the distinct entries.
 * - A match hands the blob back. A mismatch proves the plaintext changed only for a line that
 *   carries its check (a third field, a keyed MAC of the line's blob and MAC, written since
 *   issue 16): then clean need not read or decrypt the blob at all. A line without a valid check
 *   (an earlier version's, or damaged) proves nothing on a mismatch: clean decrypts to compare,
 *   so a damaged line never makes an unchanged file look modified. A new key starts an empty
 *   table (MACs under a key that is gone are noise).
 */
import { createHmac } from 'node:crypto'
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from '../age/index.js'
import { STATE_FILES } from '../git/state-dir.js'
import { BatchedAppender } from './appender.js'

const KEY_FILE = STATE_FILES.plaintextMacKey
const FILE = STATE_FILES.plaintextMacs

/** One recorded MAC, and the check of its line (absent on lines earlier versions wrote). */
interface Entry {
  mac: string
  check?: string
}

/** What a recorded MAC says about a plaintext: the blob's own, a different one, or nothing certain. */
export type MacVerdict = 'same' | 'changed' | 'unknown'

/** Above this size (some 2,500 lines) the whole table is parsed, and compacted when duplicates dominate. */
const COMPACT_CHECK_BYTES = 256 * 1024
/** Lookups answered by searching the text before the table is parsed whole. */
const SEARCHED_LOOKUPS = 8

export class PlaintextMacs {
  private key: Buffer | null | undefined
  /** the whole table, once parsed (see {@link entry}) */
  private entries: Map<string, Entry> | null = null
  /** the file's text, searched line by line while the table is not parsed */
  private text: string | null = null
  /** entries this process recorded while the table was not parsed */
  private readonly recent = new Map<string, Entry>()
  /** lookups answered by searching the text (see {@link entry}) */
  private lookups = 0
  private readonly appender: BatchedAppender

  constructor(private readonly dir: string) {
    this.appender = new BatchedAppender(join(dir, FILE))
  }

  /** Loads the key, creating it when `create`; null when there is none (or the dir is read-only). */
  private loadKey(create: boolean): Buffer | null {
    if (this.key) return this.key
    if (this.key === null && !create) return null
    const path = join(this.dir, KEY_FILE)
    try {
      const key = readFileSync(path)
      this.key = key.length === 32 ? key : null
      return this.key
    } catch {
      // no key yet (or unreadable): made below when asked to, else no MACs
    }
    if (!create) {
      this.key = null
      return null
    }
    try {
      const key = randomBytes(32)
      // 'wx': two filters starting at once must not each write a key of their own.
      writeFileSync(path, key, { mode: 0o600, flag: 'wx' })
      this.key = key
      // MACs under a key that is gone can only mislead: the table starts empty with the new key.
      rmSync(join(this.dir, FILE), { force: true })
      this.entries = new Map()
      this.recent.clear()
      this.text = ''
    } catch {
      try {
        const key = readFileSync(path)
        this.key = key.length === 32 ? key : null
      } catch {
        this.key = null
      }
    }
    return this.key
  }

  /**
   * One blob's entry. A filter start asks about one or two blobs: rather than parse every line
   * of a file that grows with the history (~0.35 µs a line, and garbage to collect), the text is
   * searched for the blob's last line; the whole table is parsed only when it is large enough
   * to be worth compacting. Entries recorded by this process are in {@link entries} when it is
   * loaded, else in {@link recent}.
   */
  private entry(blob: string): Entry | undefined {
    // A command serving many files (a checkout of a thousand secrets) parses the table once:
    // searching the text for each would scan it again and again.
    if (!this.entries && ++this.lookups > SEARCHED_LOOKUPS) this.load()
    if (this.entries) return this.entries.get(blob)
    const mine = this.recent.get(blob)
    if (mine !== undefined) return mine
    if (this.text === null) {
      this.text = this.readText()
      if (this.text.length > COMPACT_CHECK_BYTES) return this.load().get(blob)
    }
    const text = this.text
    let at = text.lastIndexOf(`\n${blob} `)
    if (at >= 0) at++
    else if (text.startsWith(`${blob} `)) at = 0
    else return undefined
    const end = text.indexOf('\n', at)
    return PlaintextMacs.parseLine(text.slice(at, end < 0 ? text.length : end))?.[1]
  }

  /** The file's text; empty when no MAC is recorded yet (or it cannot be read). */
  private readText(): string {
    try {
      return readFileSync(join(this.dir, FILE), 'latin1')
    } catch {
      return '' // no MACs recorded yet: an empty table
    }
  }

  /** A line `BLOB MAC [CHECK]` as its blob and entry; null for anything else (a torn line). */
  private static parseLine(line: string): [string, Entry] | null {
    const [blob = '', mac = '', check] = line.split(' ')
    if (blob === '' || mac === '') return null
    return [blob, check === undefined ? { mac } : { mac, check }]
  }

  private load(): Map<string, Entry> {
    if (this.entries) return this.entries
    this.entries = new Map()
    const text = this.text ?? this.readText()
    this.text = null
    let lines = 0
    for (const line of text.split('\n')) {
      const parsed = PlaintextMacs.parseLine(line)
      if (parsed === null) continue
      lines++
      this.entries.set(...parsed)
    }
    for (const [blob, entry] of this.recent) this.entries.set(blob, entry)
    this.recent.clear()
    if (lines > 2 * this.entries.size + 1000) this.compact()
    return this.entries
  }

  private static line(blob: string, entry: Entry): string {
    return entry.check === undefined ? `${blob} ${entry.mac}\n` : `${blob} ${entry.mac} ${entry.check}\n`
  }

  /** The check of a line: a MAC, under the same key, of the blob id and the MAC it records. */
  private checkOf(blob: string, mac: string): string | null {
    const key = this.loadKey(false)
    return key ? createHmac('sha256', key).update(`line ${blob} ${mac}`).digest('base64').slice(0, 22) : null
  }

  private compact(): void {
    const path = join(this.dir, FILE)
    const lines = [...this.entries!].map(([blob, entry]) => PlaintextMacs.line(blob, entry)).join('')
    try {
      writeFileSync(`${path}.tmp`, lines, { mode: 0o600 })
      renameSync(`${path}.tmp`, path)
    } catch {
      // the file stays as it was, longer but as valid; compaction is tried again next load
    }
  }

  /** An incremental MAC (large files), or null when this clone has no key (and `create` is false). */
  hasher(create = false): { update(piece: Uint8Array): void; digest(): string } | null {
    const key = this.loadKey(create)
    if (!key) return null
    const mac = createHmac('sha256', key)
    return { update: (piece) => void mac.update(piece), digest: () => mac.digest('base64') }
  }

  /** The MAC of a plaintext, or null when this clone has no key (and `create` is false). */
  of(plaintext: Uint8Array | Uint8Array[], create = false): string | null {
    const hasher = this.hasher(create)
    if (!hasher) return null
    for (const piece of Array.isArray(plaintext) ? plaintext : [plaintext]) hasher.update(piece)
    return hasher.digest()
  }

  /** True when `blob` is known to decrypt to exactly `plaintext` (or to the plaintext of that MAC). */
  matches(blob: string, plaintext: Uint8Array | Uint8Array[] | { mac: string }): boolean {
    return this.compare(blob, plaintext) === 'same'
  }

  /**
   * 'same' when `blob` decrypts to exactly `plaintext`; 'changed' when a checked MAC proves it
   * decrypts to something else; 'unknown' otherwise (no MAC, no key, or a line without a valid
   * check): then only decrypting the blob tells.
   */
  compare(blob: string, plaintext: Uint8Array | Uint8Array[] | { mac: string }): MacVerdict {
    const known = this.entry(blob)
    if (known === undefined) return 'unknown'
    const mac = 'mac' in plaintext ? plaintext.mac : this.of(plaintext)
    if (mac === null) return 'unknown'
    if (known.mac === mac) return 'same'
    return known.check !== undefined && known.check === this.checkOf(blob, known.mac) ? 'changed' : 'unknown'
  }

  /**
   * True when a MAC of `blob`'s plaintext is recorded here and its key is at hand: then
   * {@link matches} returning false proves the plaintext differs, without decrypting the blob.
   */
  knows(blob: string): boolean {
    return this.entry(blob) !== undefined && this.loadKey(false) !== null
  }

  /** Remembers that `blob` decrypts to `plaintext` (or to the plaintext whose MAC is given). */
  record(blob: string, plaintext: Uint8Array | Uint8Array[] | { mac: string }): void {
    const mac = 'mac' in plaintext ? plaintext.mac : this.of(plaintext, true)
    if (!mac) return
    const check = this.checkOf(blob, mac)
    const known = this.entry(blob)
    if (known?.mac === mac && known.check === (check ?? undefined)) return
    const entry: Entry = check === null ? { mac } : { mac, check }
    if (this.entries) this.entries.set(blob, entry)
    else this.recent.set(blob, entry)
    this.appender.push(PlaintextMacs.line(blob, entry))
  }

  flush(): void {
    this.appender.flush()
  }

  /** Forgets the key and every MAC (`git-seal lock`). */
  static erase(dir: string): void {
    rmSync(join(dir, FILE), { force: true })
    rmSync(join(dir, KEY_FILE), { force: true })
  }
}
