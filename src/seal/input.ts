/** Reading a file's content from git: small files whole, large ones as a stream. */

/** Files up to this size are handled in memory; larger ones stream through the cipher. */
export const WHOLE_FILE_LIMIT = 4 << 20

export interface FileHead {
  /** the first chunks, at least WHOLE_FILE_LIMIT bytes unless `complete` */
  chunks: Uint8Array[]
  size: number
  /** true when `chunks` is the whole file */
  complete: boolean
  /** the rest of the content, to be read only when not complete */
  rest: AsyncIterator<Uint8Array>
}

export async function readHead(content: AsyncIterable<Uint8Array>, limit = WHOLE_FILE_LIMIT): Promise<FileHead> {
  const rest = content[Symbol.asyncIterator]()
  const chunks: Uint8Array[] = []
  let size = 0
  while (size < limit) {
    const next = await rest.next()
    if (next.done) return { chunks, size, complete: true, rest }
    chunks.push(next.value)
    size += next.value.length
  }
  return { chunks, size, complete: false, rest }
}

export function concat(chunks: Uint8Array[], size?: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!
  return Buffer.concat(chunks, size)
}

/** All chunks of a file: the head, then the rest. */
export async function* allChunks(head: FileHead): AsyncGenerator<Uint8Array> {
  yield* head.chunks
  if (head.complete) return
  for (;;) {
    const next = await head.rest.next()
    if (next.done) return
    yield next.value
  }
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0
}

/** The chunks not yet read after the head. */
export async function readRest(head: FileHead): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  if (head.complete) return out
  for (;;) {
    const next = await head.rest.next()
    if (next.done) return out
    out.push(next.value)
  }
}
