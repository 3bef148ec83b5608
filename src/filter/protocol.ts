/**
 * git's long-running filter protocol, version 2, on top of pkt-line framing.
 * https://git-scm.com/docs/gitattributes#_long_running_filter_process
 *
 *   git: git-filter-client, version=2, flush      us: git-filter-server, version=2, flush
 *   git: capability=clean, capability=smudge, …   us: the subset we support, flush
 *   then per file:
 *   git: command=…, pathname=…, [other keys], flush, content…, flush
 *   us:  status=success, flush, content…, flush, flush   (or status=error, flush)
 *
 * With the `delay` capability (asked for by filter-process: checkouts with a plugin key), a
 * smudge request carrying `can-delay=1` may be answered `status=delayed`, flush, and no
 * content. git then sends `command=list_available_blobs`, flush; we answer `pathname=…` for
 * each delayed file now ready, flush, `status=success`, flush; git asks for each of them again
 * (with an empty content section), and stops asking once the list comes back empty.
 *
 * The request loop lives here; what to do with a file is the handler's business (seal/).
 */
import { FLUSH, PktLineError, type PktLineReader, type PktLineWriter } from './pktline.js'

export interface FilterRequest {
  command: string
  pathname: string
  /** every key git sent, including ones this version does not know (blob, ref, treeish…) */
  keys: Map<string, string>
}

/**
 * Filters one file. `content` yields the file as git sends it; the handler returns the result
 * as chunks, in memory or read back as they are sent (a large file's answer comes from a spill
 * file, seal/spill.ts). Throwing makes the answer `status=error` (git then fails the clean, or
 * reports the smudge), and the protocol carries on with the next file; so does an answer that
 * fails while it is being read: git discards what it got (`status=error` after the content).
 */
export type FilterHandler = (
  request: FilterRequest,
  content: AsyncIterable<Uint8Array>,
) => Promise<Iterable<Uint8Array> | typeof DELAYED>

/** A handler's answer to a request with `can-delay=1`: the file comes later (see the top of this file). */
export const DELAYED: unique symbol = Symbol('delayed')

/** The delayed files now ready, for git's `list_available_blobs`; an empty list ends the delay. */
export type AvailableBlobs = () => Promise<string[]> | string[]

export const SUPPORTED_CAPABILITIES = ['clean', 'smudge'] as const
/** Every capability this module implements; a caller opts into `delay` by handing it to {@link handshake}. */
export type Capability = 'clean' | 'smudge' | 'delay'

async function expectText(reader: PktLineReader, expected: string): Promise<void> {
  const got = await reader.readText()
  if (got !== expected) throw new PktLineError(`expected "${expected}" from git, got ${describe(got)}`)
}

function describe(got: string | typeof FLUSH | null): string {
  if (got === FLUSH) return 'a flush packet'
  if (got === null) return 'end of stream'
  return JSON.stringify(got.length > 80 ? got.slice(0, 80) + '…' : got)
}

/** Reads `key=value` lines up to a flush. */
async function readKeyValues(reader: PktLineReader, what: string): Promise<Map<string, string> | null> {
  const keys = new Map<string, string>()
  for (;;) {
    const line = await reader.readText()
    if (line === FLUSH) return keys
    if (line === null) {
      if (keys.size === 0) return null
      throw new PktLineError(`expected the rest of the ${what} or a flush packet, got end of stream`)
    }
    const eq = line.indexOf('=')
    if (eq <= 0) throw new PktLineError(`expected key=value in the ${what}, got ${describe(line)}`)
    keys.set(line.slice(0, eq), line.slice(eq + 1))
  }
}

/**
 * Answers git's handshake, agreeing to the capabilities of `wanted` that git offers.
 * @throws {PktLineError} when git does not speak version 2 of the protocol.
 */
export async function handshake(
  reader: PktLineReader,
  writer: PktLineWriter,
  wanted: readonly Capability[] = SUPPORTED_CAPABILITIES,
): Promise<Set<string>> {
  await expectText(reader, 'git-filter-client')
  const versions: string[] = []
  for (;;) {
    const line = await reader.readText()
    if (line === FLUSH) break
    if (line === null || !line.startsWith('version='))
      throw new PktLineError(`expected version=N or a flush packet, got ${describe(line)}`)
    versions.push(line.slice('version='.length))
  }
  if (!versions.includes('2'))
    throw new PktLineError(
      `expected git to offer version=2, got ${versions.map((v) => `version=${v}`).join(', ') || 'no version'}`,
    )
  writer.text('git-filter-server')
  writer.text('version=2')
  writer.flush()
  writer.send()

  const offered = new Set<string>()
  for (;;) {
    const line = await reader.readText()
    if (line === FLUSH) break
    if (line === null || !line.startsWith('capability='))
      throw new PktLineError(`expected capability=NAME or a flush packet, got ${describe(line)}`)
    offered.add(line.slice('capability='.length))
  }
  const agreed = new Set<string>()
  for (const capability of wanted) {
    if (offered.has(capability)) {
      writer.text(`capability=${capability}`)
      agreed.add(capability)
    }
  }
  writer.flush()
  writer.send()
  return agreed
}

/**
 * The content packets of one request, up to its closing flush. Not a generator: a handler that
 * stops early would close a generator, and {@link drain} must still find the flush.
 */
class RequestContent implements AsyncIterable<Uint8Array> {
  private finished = false
  constructor(private readonly reader: PktLineReader) {}

  async next(): Promise<IteratorResult<Uint8Array>> {
    if (this.finished) return { done: true, value: undefined }
    const packet = await this.reader.read()
    if (packet === FLUSH) {
      this.finished = true
      return { done: true, value: undefined }
    }
    if (packet === null) throw new PktLineError('expected file content or a flush packet, got end of stream')
    return { done: false, value: packet }
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return { next: () => this.next() }
  }

  async drain(): Promise<void> {
    while (!(await this.next()).done) {}
  }
}

/**
 * Serves requests until git closes the stream; `afterAnswer` runs after each answer is written,
 * before the next request is read; `available` answers `list_available_blobs` (with `delay`);
 * `onAnswerError` hears of an answer that failed while it was being read back.
 * @throws {PktLineError} when git breaks the protocol; the caller exits, and git reports the filter as failed.
 */
export async function serve(
  reader: PktLineReader,
  writer: PktLineWriter,
  capabilities: Set<string>,
  handler: FilterHandler,
  afterAnswer?: () => void,
  available?: AvailableBlobs,
  onAnswerError?: (request: FilterRequest, error: unknown) => void,
): Promise<void> {
  for (;;) {
    const keys = await readKeyValues(reader, 'request')
    if (keys === null) return
    const command = keys.get('command')
    if (command === 'list_available_blobs' && capabilities.has('delay')) {
      // No content section follows this command.
      let paths: string[] = []
      try {
        paths = (await available?.()) ?? []
      } catch {
        // Whoever failed told the user; an empty list tells git nothing more is coming, and
        // it reports the files it did not get.
        paths = []
      }
      for (const path of paths) writer.text(`pathname=${path}`)
      writer.flush()
      writer.text('status=success')
      writer.flush()
      writer.send()
      afterAnswer?.()
      continue
    }
    const pathname = keys.get('pathname')
    if (command === undefined || pathname === undefined) {
      throw new PktLineError(
        `expected command= and pathname= in the request, got ${[...keys.keys()].join(', ') || 'neither'}`,
      )
    }
    const content = new RequestContent(reader)
    let output: Iterable<Uint8Array> | typeof DELAYED | null = null
    const request = { command, pathname, keys }
    if (capabilities.has(command)) {
      try {
        output = await handler(request, content)
      } catch {
        // The handler has told the user what went wrong; git only needs the status.
        output = null
      }
    }
    // Drain whatever the handler did not read, so the next request starts at a packet boundary.
    await content.drain()
    // Delaying is only an answer where git offered it.
    if (output === DELAYED && keys.get('can-delay') !== '1') output = null
    if (output === null) {
      writer.text('status=error')
      writer.flush()
    } else if (output === DELAYED) {
      writer.text('status=delayed')
      writer.flush()
    } else {
      writer.text('status=success')
      writer.flush()
      const failure = writeContent(writer, output)
      writer.flush()
      if (failure === null) {
        writer.flush() // an empty list: the status stays "success"
      } else {
        // The answer could not be read back: git discards the content it got, and says so.
        onAnswerError?.(request, failure.error)
        writer.text('status=error')
        writer.flush()
      }
    }
    writer.send()
    // git is busy with the answer now: work that can wait fits in here without delaying it.
    afterAnswer?.()
  }
}

/**
 * Writes an answer's content as it is read (the writer sends every MiB, so a large answer read
 * from a file never sits whole in memory).
 * @returns null when all of it was written, else what failed while reading it.
 * @throws what writing to git throws (git is gone): nothing more can be said to it.
 */
function writeContent(writer: PktLineWriter, output: Iterable<Uint8Array>): { error: unknown } | null {
  const chunks = output[Symbol.iterator]()
  let done = false
  try {
    for (;;) {
      let next: IteratorResult<Uint8Array>
      try {
        next = chunks.next()
      } catch (error) {
        done = true // a generator that threw is finished
        return { error }
      }
      if (next.done) {
        done = true
        return null
      }
      writer.content(next.value)
    }
  } finally {
    if (!done) chunks.return?.()
  }
}
