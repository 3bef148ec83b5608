/** Reading git objects: a persistent `git cat-file --batch`, and blob ids computed in-process. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { deflateSync, inflateSync } from 'node:zlib'

/** The id git gives a blob with these bytes, in the repository's object format. */
export function blobId(content: Uint8Array, format: 'sha1' | 'sha256' = 'sha1'): string {
  return createHash(format).update(`blob ${content.length}\0`).update(content).digest('hex')
}

/** {@link blobId} of content given in pieces. */
export function blobIdOfChunks(chunks: Uint8Array[], format: 'sha1' | 'sha256' = 'sha1'): string {
  const hash = createHash(format).update(`blob ${chunks.reduce((n, c) => n + c.length, 0)}\0`)
  for (const c of chunks) hash.update(c)
  return hash.digest('hex')
}

export interface GitObject {
  oid: string
  type: string
  content: Buffer
}

interface Pending {
  resolve(value: GitObject | null): void
  reject(error: Error): void
}

/**
 * One `git cat-file --batch` process answering many lookups, in order.
 * Specs are anything git understands: an oid, `:path` (the index), `HEAD:path`.
 */
export class CatFileBatch {
  private child: ChildProcessWithoutNullStreams | null = null
  private queue: Pending[] = []
  private buffer: Buffer = Buffer.alloc(0)
  /** content of a large object arriving in pieces, joined once when complete */
  private pieces: Buffer[] = []
  private piecesSize = 0
  private expected = 0
  /** why the last process ended early, for messages */
  failure: Error | null = null

  constructor(
    private readonly cwd: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  private start(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child
    const child = spawn('git', ['cat-file', '--batch'], {
      cwd: this.cwd,
      env: this.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    child.stdout.on('data', (data: Buffer) => {
      if (this.pieces.length > 0) {
        // Inside a large object: collect, and join once (no quadratic re-concatenation).
        this.pieces.push(data)
        this.piecesSize += data.length
        if (this.piecesSize < this.expected) return
        data = Buffer.concat(this.pieces, this.piecesSize)
        this.pieces = []
        this.piecesSize = 0
        this.buffer = data
      } else {
        this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data])
      }
      this.parse()
    })
    child.stderr.resume()
    const fail = (error: Error): void => {
      if (this.child !== child) return
      this.failure = error
      this.child = null
      this.buffer = Buffer.alloc(0)
      this.pieces = []
      this.piecesSize = 0
      for (const pending of this.queue.splice(0)) pending.reject(error)
    }
    child.on('error', fail)
    child.on('close', () => fail(new Error('git cat-file --batch exited')))
    child.stdin.on('error', () => {})
    this.child = child
    return child
  }

  private parse(): void {
    for (;;) {
      const pending = this.queue[0]
      if (!pending) return
      const eol = this.buffer.indexOf(10)
      if (eol < 0) return
      const header = this.buffer.subarray(0, eol).toString('utf8')
      const parts = header.split(' ')
      if (parts.length !== 3 || !/^\d+$/.test(parts[2] ?? '')) {
        // "<spec> missing", "<spec> ambiguous", …: no object.
        this.buffer = this.buffer.subarray(eol + 1)
        this.queue.shift()
        pending.resolve(null)
        continue
      }
      const size = Number(parts[2])
      if (this.buffer.length < eol + 1 + size + 1) {
        // Wait for the rest without re-joining on every chunk.
        this.expected = eol + 1 + size + 1
        this.pieces = [this.buffer]
        this.piecesSize = this.buffer.length
        this.buffer = Buffer.alloc(0)
        return
      }
      const content = Buffer.from(this.buffer.subarray(eol + 1, eol + 1 + size))
      this.buffer = this.buffer.subarray(eol + 1 + size + 1)
      this.queue.shift()
      pending.resolve({ oid: parts[0]!, type: parts[1]!, content })
    }
  }

  /** The object named by `spec`, or null when git has none by that name. */
  get(spec: string): Promise<GitObject | null> {
    // A spec with a newline cannot be asked in batch mode; no secret path is worth that case.
    if (spec.includes('\n')) return Promise.resolve(null)
    const child = this.start()
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve, reject })
      child.stdin.write(spec + '\n')
    })
  }

  close(): void {
    this.child?.stdin.end()
    this.child = null
  }
}

/**
 * Streams a blob from `git cat-file blob` to `onData` as it arrives (a large blob is never held
 * whole); false when git fails or onData throws.
 */
export function streamBlob(
  root: string,
  env: NodeJS.ProcessEnv,
  oid: string,
  onData: (data: Buffer) => void,
): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('git', ['cat-file', 'blob', oid], { cwd: root, env, stdio: ['ignore', 'pipe', 'ignore'] })
    let failed = false
    child.stdout.on('data', (data: Buffer) => {
      if (failed) return
      try {
        onData(data)
      } catch {
        failed = true
        child.kill()
      }
    })
    child.on('error', () => resolve(false))
    child.on('close', (code) => resolve(!failed && code === 0))
  })
}

/**
 * Writes a blob into the object store as a loose object and returns its id: what
 * `git hash-object -w --no-filters` does, without a process per blob (rekey writes thousands).
 * Only ever called with ciphertext. https://git-scm.com/book/en/v2/Git-Internals-Git-Objects
 */
export function writeBlob(objectsDir: string, content: Uint8Array, format: 'sha1' | 'sha256' = 'sha1'): string {
  const oid = blobId(content, format)
  const dir = join(objectsDir, oid.slice(0, 2))
  const file = join(dir, oid.slice(2))
  if (existsSync(file)) return oid
  mkdirSync(dir, { recursive: true })
  const tmp = join(dir, `tmp_obj_git_seal_${process.pid}_${Math.random().toString(36).slice(2)}`)
  writeFileSync(tmp, deflateSync(Buffer.concat([Buffer.from(`blob ${content.length}\0`), content])), { mode: 0o444 })
  try {
    renameSync(tmp, file)
  } catch (e) {
    rmSync(tmp, { force: true })
    if (!existsSync(file)) throw e
  }
  return oid
}

/**
 * A loose blob read straight from the object store, or null when it is not loose (packed, in
 * an alternate, or absent): then ask `git cat-file`.
 */
export function readLooseBlob(objectsDir: string, oid: string): Buffer | null {
  return readLooseObject(objectsDir, oid, 'blob')
}

/**
 * The content of a loose object of this type, or null when it is not a loose object of that
 * type (packed, missing, damaged): then git is asked. https://git-scm.com/book/en/v2/Git-Internals-Git-Objects
 */
export function readLooseObject(objectsDir: string, oid: string, type: 'blob' | 'tree' | 'commit'): Buffer | null {
  let raw: Buffer
  try {
    raw = inflateSync(readFileSync(join(objectsDir, oid.slice(0, 2), oid.slice(2))))
  } catch {
    return null
  }
  const nul = raw.indexOf(0)
  const header = raw.toString('latin1', 0, nul)
  if (!header.startsWith(`${type} `) || Number(header.slice(type.length + 1)) !== raw.length - nul - 1) return null
  return raw.subarray(nul + 1)
}
