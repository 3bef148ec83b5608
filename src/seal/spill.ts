/**
 * Ciphertext held between git sending a file and git reading the answer. git writes all of a
 * file before it reads a byte back, so a filter must hold something whole; for a large secret
 * that would be hundreds of MiB of memory. A {@link Spill} keeps the first bytes in memory and
 * moves everything to a file once they pass a threshold, so the filter's memory stays bounded
 * whatever the size.
 *
 * Only ever ciphertext: clean spills what it encrypted (or the stored blob it hands back), and
 * smudge the blob git sent, before anything is decrypted; plaintext is never written here.
 * The file is 0600 in a 0700 private directory under git-seal's state directory (never /tmp),
 * removed when the answer has been sent, on exit and on SIGINT/SIGTERM/SIGHUP, and swept after
 * a SIGKILL (private-tmp.ts).
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { DecryptStream, type Identity } from '../age/index.js'
import { createPrivateDir, sweepPrivateDirs, type PrivateDir } from './private-tmp.js'
import { testHooks } from '../test-hooks.js'

/** Bytes held in memory before the rest goes to a file (GIT_SEAL_SPILL_THRESHOLD: tests). */
export const SPILL_THRESHOLD = 8 << 20
/** What each read of a spilled file hands on (a fresh buffer each: the writer may still hold the last). */
const READ_SIZE = 1 << 20

function threshold(): number {
  const override = Number(process.env['GIT_SEAL_SPILL_THRESHOLD'])
  return Number.isInteger(override) && override >= 0 ? override : SPILL_THRESHOLD
}

/**
 * Ciphertext written once, then read back in order any number of times. Iterating it reads it
 * back; {@link Spill.answer} reads it back once and then removes it.
 */
export class Spill implements Iterable<Uint8Array> {
  private parts: Uint8Array[] = []
  private dir: PrivateDir | null = null
  private fd: number | null = null
  private disposed = false
  size = 0

  /** @param stateDir git-seal's state directory (created 0700 if missing), where the file goes. */
  constructor(
    private readonly stateDir: string,
    private readonly limit: number = threshold(),
  ) {}

  /** True when writing `bytes` more would move the content to a file (it is not there yet). */
  wouldSpill(bytes: number): boolean {
    return this.fd === null && this.size + bytes > this.limit
  }

  /** True once the content lives in a file. */
  get spilled(): boolean {
    return this.fd !== null
  }

  /**
   * Appends bytes (kept by reference while in memory: callers hand over buffers they no longer write to).
   * @throws {Error} when the file cannot be created or written (a full disk): the caller fails the request.
   */
  write(bytes: Uint8Array): void {
    if (this.disposed) throw new Error('internal: write to a disposed spill')
    if (bytes.length === 0) return
    if (this.fd === null && this.size + bytes.length > this.limit) this.toFile()
    if (this.fd !== null) writeAll(this.fd, bytes)
    else this.parts.push(bytes)
    this.size += bytes.length
  }

  private toFile(): void {
    sweepPrivateDirs(this.stateDir) // a spill a SIGKILLed filter left behind
    this.dir = createPrivateDir(this.stateDir, 'spill')
    this.fd = openSync(join(this.dir.path, 'ciphertext'), 'wx+', 0o600)
    for (const part of this.parts) writeAll(this.fd, part)
    this.parts = []
    // Fault injection for the test suite: die like a SIGKILL with a spill on disk.
    if (testHooks().killIn === 'spill') process.kill(process.pid, 'SIGKILL')
  }

  /** The content, in order, read back from memory or from the file. */
  *[Symbol.iterator](): Iterator<Uint8Array> {
    if (this.disposed) throw new Error('internal: read of a disposed spill')
    if (this.fd === null) {
      yield* this.parts
      return
    }
    for (let offset = 0; offset < this.size; ) {
      const buf = Buffer.allocUnsafe(Math.min(READ_SIZE, this.size - offset))
      const n = readSync(this.fd, buf, 0, buf.length, offset)
      if (n === 0)
        throw new Error(`the spilled answer in ${this.dir?.path ?? '?'} ends early (removed or truncated meanwhile)`)
      offset += n
      yield n === buf.length ? buf : buf.subarray(0, n)
    }
  }

  /** git's blob id of the content (a second read when spilled: the size comes first in the hash). */
  blobId(format: 'sha1' | 'sha256' = 'sha1'): string {
    const hash = createHash(format).update(`blob ${this.size}\0`)
    for (const piece of this) hash.update(piece)
    return hash.digest('hex')
  }

  /** What the filter answers: the content once, then the spill is gone. */
  answer(): Iterable<Uint8Array> {
    return { [Symbol.iterator]: () => this.consume() }
  }

  private *consume(): Iterator<Uint8Array> {
    try {
      yield* this
    } finally {
      this.dispose()
    }
  }

  /**
   * The decrypted content, for smudge once every chunk was authenticated: decrypted again as it
   * is read back, then the spill is gone. Each chunk is authenticated again on the way out, so a
   * file changed on disk meanwhile makes the answer fail (git then discards it), never lie.
   */
  decryptedAnswer(identities: Identity[]): Iterable<Uint8Array> {
    const self = this
    return {
      *[Symbol.iterator]() {
        try {
          const stream = new DecryptStream(identities)
          for (const piece of self) yield* stream.updateParts(piece)
          yield stream.final()
        } finally {
          self.dispose()
        }
      },
    }
  }

  /** Removes the file; safe to call twice. */
  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    this.parts = []
    if (this.fd !== null) {
      try {
        closeSync(this.fd)
      } catch {
        // already closed: the directory goes anyway
      }
      this.fd = null
    }
    this.dir?.remove()
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done)
}
