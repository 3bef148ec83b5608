/**
 * pkt-line framing, the transport of git's long-running filter protocol.
 * https://git-scm.com/docs/protocol-common#_pkt_line_format
 *
 * A packet is a 4-digit lowercase hex length (counting those 4 bytes) followed by the payload;
 * "0000" is a flush packet. This layer knows nothing of filters: protocol.ts gives packets meaning.
 */
import { readSync } from 'node:fs'

/** Largest packet git accepts, header included (LARGE_PACKET_MAX). */
export const MAX_PACKET_LENGTH = 65520
/** Largest payload of one packet. */
export const MAX_PAYLOAD = MAX_PACKET_LENGTH - 4

export const FLUSH = Symbol('flush')
export type Packet = Uint8Array | typeof FLUSH

/** The peer broke the framing rules, or closed the stream where a packet was expected. */
export class PktLineError extends Error {
  override name = 'PktLineError'
}

const HEX = /^[0-9a-f]{4}$/

/**
 * Reads packets from an async byte source (process.stdin in production, arrays in tests).
 * Chunks are consumed without copying when a packet lies within one chunk.
 */
export class PktLineReader {
  private readonly source: AsyncIterator<Uint8Array>
  private chunks: Uint8Array[] = []
  private buffered = 0
  private ended = false

  constructor(source: AsyncIterable<Uint8Array>) {
    this.source = source[Symbol.asyncIterator]()
  }

  /** Buffers at least n bytes; false when the source ended first. */
  private async fill(n: number): Promise<boolean> {
    while (this.buffered < n) {
      if (this.ended) return false
      const next = await this.source.next()
      if (next.done) {
        this.ended = true
        return false
      }
      const chunk = next.value
      if (chunk.length > 0) {
        // Consecutive reads into one buffer (syncFdSource) join into a single view: a packet
        // that straddles two reads is then taken without a copy.
        const last = this.chunks[this.chunks.length - 1]
        if (last && last.buffer === chunk.buffer && last.byteOffset + last.length === chunk.byteOffset) {
          this.chunks[this.chunks.length - 1] = new Uint8Array(last.buffer, last.byteOffset, last.length + chunk.length)
        } else {
          this.chunks.push(chunk)
        }
        this.buffered += chunk.length
      }
    }
    return true
  }

  private take(n: number): Uint8Array {
    const first = this.chunks[0]!
    if (first.length >= n) {
      const out = first.subarray(0, n)
      if (first.length === n) this.chunks.shift()
      else this.chunks[0] = first.subarray(n)
      this.buffered -= n
      return out
    }
    const out = new Uint8Array(n)
    let filled = 0
    while (filled < n) {
      const chunk = this.chunks[0]!
      const part = Math.min(chunk.length, n - filled)
      out.set(chunk.subarray(0, part), filled)
      filled += part
      if (part === chunk.length) this.chunks.shift()
      else this.chunks[0] = chunk.subarray(part)
    }
    this.buffered -= n
    return out
  }

  /**
   * The next packet, or null at a clean end of stream (between packets).
   * @throws {PktLineError} on a malformed length, a length of 1-3 or above 65520, a delimiter
   *   packet (not part of the filter protocol), or a stream that ends inside a packet.
   */
  async read(): Promise<Packet | null> {
    if (!(await this.fill(4))) {
      if (this.buffered === 0) return null
      throw new PktLineError(`expected a pkt-line length, got end of stream after ${this.buffered} byte(s)`)
    }
    const header = Buffer.from(this.take(4)).toString('latin1')
    if (!HEX.test(header))
      throw new PktLineError(`expected a 4-digit hex pkt-line length, got ${JSON.stringify(header)}`)
    const length = parseInt(header, 16)
    if (length === 0) return FLUSH
    if (length < 4)
      throw new PktLineError(`unexpected special packet ${header} (the filter protocol uses only flush packets)`)
    if (length > MAX_PACKET_LENGTH)
      throw new PktLineError(`pkt-line length ${length} exceeds the maximum of ${MAX_PACKET_LENGTH}`)
    if (!(await this.fill(length - 4)))
      throw new PktLineError(`expected ${length - 4} byte(s) of pkt-line payload, got end of stream`)
    return this.take(length - 4)
  }

  /**
   * A text packet without its trailing LF, FLUSH, or null at end of stream.
   * @throws {PktLineError} as {@link read}
   */
  async readText(): Promise<string | typeof FLUSH | null> {
    const packet = await this.read()
    if (packet === null || packet === FLUSH) return packet
    const text = Buffer.from(packet).toString('utf8')
    return text.endsWith('\n') ? text.slice(0, -1) : text
  }
}

/**
 * Accumulates packets and hands them to the sink in as few writes as possible: a response is
 * written once, at {@link PktLineWriter.send}, which matters when git sends thousands of small files.
 */
export class PktLineWriter {
  private parts: Uint8Array[] = []
  private size = 0
  /** `sink` takes the pending pieces in order (a writev), so content is never copied to be framed. */
  constructor(private readonly sink: (parts: Uint8Array[]) => void) {}

  private push(bytes: Uint8Array): void {
    this.parts.push(bytes)
    this.size += bytes.length
    // Large contents go out as they are framed, so memory stays bounded by what git has read.
    if (this.size >= 1 << 20) this.send()
  }

  /** One packet holding `payload` (at most {@link MAX_PAYLOAD} bytes). */
  packet(payload: Uint8Array): void {
    if (payload.length > MAX_PAYLOAD)
      throw new RangeError(`pkt-line payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD}`)
    if (payload.length === 0) throw new RangeError('an empty pkt-line would read as a flush')
    this.push(Buffer.from((payload.length + 4).toString(16).padStart(4, '0'), 'latin1'))
    this.push(payload)
  }

  /** A text packet; git's protocol lines end with LF. */
  text(line: string): void {
    this.packet(Buffer.from(line + '\n', 'utf8'))
  }

  flush(): void {
    this.push(Buffer.from('0000', 'latin1'))
  }

  /** Content split into packets of at most {@link MAX_PAYLOAD} bytes (no flush). */
  content(bytes: Uint8Array): void {
    for (let offset = 0; offset < bytes.length; offset += MAX_PAYLOAD) {
      this.packet(bytes.subarray(offset, Math.min(offset + MAX_PAYLOAD, bytes.length)))
    }
  }

  /** Writes everything accumulated so far. */
  send(): void {
    if (this.size === 0) return
    const out = this.parts
    this.parts = []
    this.size = 0
    this.sink(out)
  }
}

/**
 * The bytes of a file descriptor, read with blocking readSync calls. The filter reads git's
 * stream this way: no event-loop turn per packet, which is most of the cost of a round trip for
 * small files. Awaiting it never blocks other work the process is waiting for, because a read
 * only happens when the protocol needs the next bytes.
 *
 * Reads land one after another in a buffer that is never reused, and are handed out as views
 * of it: no copy of what git sends, and a fresh buffer once less than a pipe's worth is left.
 */
export function syncFdSource(fd: number, size = 1 << 20): AsyncIterable<Uint8Array> {
  const PIPE = 64 * 1024
  let buffer = Buffer.allocUnsafe(size)
  let used = 0
  const wait = new Int32Array(new SharedArrayBuffer(4))
  return {
    [Symbol.asyncIterator]: () => ({
      async next(): Promise<IteratorResult<Uint8Array>> {
        for (;;) {
          if (buffer.length - used < PIPE) {
            buffer = Buffer.allocUnsafe(size)
            used = 0
          }
          let n: number
          try {
            n = readSync(fd, buffer, used, buffer.length - used, null)
          } catch (e) {
            const code = (e as NodeJS.ErrnoException).code
            if (code === 'EAGAIN') {
              // A non-blocking pipe: wait a moment rather than spin.
              Atomics.wait(wait, 0, 0, 1)
              continue
            }
            if (code === 'EOF') return { done: true, value: undefined }
            throw e
          }
          if (n === 0) return { done: true, value: undefined }
          const value = buffer.subarray(used, used + n)
          used += n
          return { done: false, value }
        }
      },
    }),
  }
}
