/**
 * The payload: STREAM over ChaCha20-Poly1305 in 64 KiB chunks, keyed from the file key and a
 * random 16-byte nonce. https://github.com/C2SP/C2SP/blob/main/age.md#payload
 *
 * Both directions work incrementally, so a file of any size costs O(64 KiB) of working memory.
 */
import { AgeError } from './errors.js'
import { hkdf, openParts, sealParts } from './primitives.js'

export const CHUNK = 64 * 1024
const TAG = 16
/** The payload nonce, written right after the header. */
export const NONCE = 16

function chunkNonce(counter: number, last: boolean): Buffer {
  const nonce = Buffer.alloc(12)
  // An 11-byte big-endian counter; 2^48 chunks are more than any file here.
  nonce.writeUIntBE(counter, 5, 6)
  nonce[11] = last ? 1 : 0
  return nonce
}

export function payloadKey(fileKey: Uint8Array, nonce: Uint8Array): Buffer {
  return hkdf(fileKey, nonce, 'payload')
}

/** Pending bytes as the pieces they arrived in: never joined, never copied. */
class Pending {
  private parts: Uint8Array[] = []
  length = 0
  push(b: Uint8Array): void {
    if (b.length === 0) return
    this.parts.push(b)
    this.length += b.length
  }
  /** Removes and returns the first n bytes, as views of the pieces they lie in. */
  take(n: number): Uint8Array[] {
    const out: Uint8Array[] = []
    let wanted = n
    while (wanted > 0) {
      const part = this.parts[0]!
      if (part.length <= wanted) {
        out.push(part)
        this.parts.shift()
        wanted -= part.length
      } else {
        out.push(part.subarray(0, wanted))
        this.parts[0] = part.subarray(wanted)
        wanted = 0
      }
    }
    this.length -= n
    return out
  }
  all(): Uint8Array[] {
    return this.take(this.length)
  }
}

export class PayloadEncryptor {
  private readonly pending = new Pending()
  private counter = 0

  /**
   * @param key the payload key ({@link payloadKey} of the file key and the nonce written after
   *   the header, see prepared.ts); wiped by final().
   */
  constructor(private readonly key: Buffer) {}

  /** Encrypts every full chunk that is certainly not the last one. */
  update(data: Uint8Array): Buffer[] {
    this.pending.push(data)
    const out: Buffer[] = []
    // Keep at least one byte back: a full chunk may turn out to be the last.
    while (this.pending.length > CHUNK)
      out.push(...sealParts(this.key, this.pending.take(CHUNK), chunkNonce(this.counter++, false)))
    return out
  }

  final(): Buffer[] {
    const out = sealParts(this.key, this.pending.all(), chunkNonce(this.counter++, true))
    this.key.fill(0)
    return out
  }
}

export class PayloadDecryptor {
  private key: Buffer | null = null
  private readonly pending = new Pending()
  private counter = 0
  private finished = false

  constructor(private readonly fileKey: Uint8Array) {}

  /** Decrypts every chunk that is certainly not the last; throws on a bad tag. */
  update(data: Uint8Array): Buffer[] {
    this.pending.push(data)
    if (!this.key) {
      if (this.pending.length < NONCE) return []
      this.key = payloadKey(this.fileKey, Buffer.concat(this.pending.take(NONCE)))
    }
    const out: Buffer[] = []
    while (this.pending.length > CHUNK + TAG) {
      const plain = openParts(this.key, this.pending.take(CHUNK + TAG), chunkNonce(this.counter++, false))
      if (!plain) throw new AgeError('bad-payload', `payload chunk ${this.counter - 1} failed to authenticate`)
      out.push(...plain)
    }
    return out
  }

  /**
   * @throws {AgeError} 'truncated' when the final chunk is missing; 'bad-payload' when it does
   *   not authenticate or is an empty final chunk after data.
   */
  final(): Buffer {
    if (this.finished) return Buffer.alloc(0)
    this.finished = true
    if (!this.key) throw new AgeError('truncated', 'payload is truncated (no nonce)')
    if (this.pending.length < TAG) throw new AgeError('truncated', 'payload is truncated')
    const last = this.pending.all()
    const plain = openParts(this.key, last, chunkNonce(this.counter, true))
    if (!plain) {
      // Maybe a full non-final chunk with the real final chunk cut off.
      throw new AgeError(
        openParts(this.key, last, chunkNonce(this.counter, false)) ? 'truncated' : 'bad-payload',
        'payload is truncated or damaged',
      )
    }
    const joined = plain.length === 1 ? plain[0]! : Buffer.concat(plain)
    if (joined.length === 0 && this.counter > 0) throw new AgeError('bad-payload', 'final chunk is empty')
    return joined
  }
}
