/**
 * A V8 code cache for the entries git starts on every command that touches a secret (the
 * filter, one-shot clean/smudge, textconv's ciphertext path). Node 20 has no compile cache for
 * modules (module.enableCompileCache is Node >= 22.1), and compiling the bundle was about a
 * third of what a filter start costs over a do-nothing Node filter. So these entries are
 * built as two files (scripts/build.mjs): a small CommonJS loader (dist/hot.cjs,
 * dist/textconv.cjs: entry.ts and this file) and the program itself as a CommonJS body
 * (dist/hot.body.js…), which the loader compiles with `vm.Script` and V8 code it cached
 * before. A CommonJS entry also skips the ESM loader's resolve/link/evaluate steps.
 *
 * What the cache holds: V8's compiled code (bytecode and the functions' metadata) for the
 * body's source, produced after a run so that the functions that ran are in it. Compiled
 * code only: no heap state, so no key, no plaintext, no path of a secret. It is still code
 * this process runs, so it is kept where only the user can write:
 *
 * - `$XDG_CACHE_HOME/git-seal/v8` (else `~/.cache/git-seal/v8`), created 0700; used only when
 *   it is a real directory owned by this user that no one else can write (else no cache);
 * - one file per entry, Node version, platform, architecture and V8 flags (NODE_OPTIONS and
 *   the command line) and body: its name hashes them all; its header repeats that key's hash
 *   and a SHA-256 of the rest, both checked before V8 sees a byte (V8 checks its version,
 *   flags and the source's length, not the data's integrity: a damaged file is ours to catch);
 * - the header also names the paths through the code the cache covers (src/code-paths.ts: a
 *   cache made by a `git add` lacks what a checkout runs); a process that took a path the cache
 *   does not cover writes it again when it exits, covering both, so after a few commands one
 *   cache serves them all;
 * - written atomically (a temp file in the same directory, then rename), 0600;
 * - cache files written more than 30 days ago are removed when a new one is written (one still
 *   in use is then written again by its next start).
 *
 * Whatever goes wrong (no home, a foreign or damaged file, V8 rejecting the data, a full
 * disk), the body is compiled the normal way and runs the same: the cache only ever saves
 * time. `GIT_SEAL_CODE_CACHE=off` turns it off.
 */
import { createHash, randomBytes } from 'node:crypto'
import {
  closeSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  chmodSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Script } from 'node:vm'
import { collectCodePaths, v8FlagsChanged } from '../code-paths.js'

/**
 * The first bytes of a cache file: the format, so a file of another format is never read as
 * this one. Then the key (HASH bytes), the SHA-256 of everything after it (HASH), one byte
 * giving the length of the covered paths' names (comma-separated ASCII), those names, the data.
 */
const MAGIC = Buffer.from('gitseal-v8cache-2\n', 'latin1')
const HASH = 32
const HEADER = MAGIC.length + 2 * HASH + 1
/** Other cache files written this long ago are removed when a new one is written. */
const STALE_MS = 30 * 24 * 3600 * 1000

const sha256 = (data: Uint8Array | string): Buffer => createHash('sha256').update(data).digest()

/**
 * The directory for cache files, created 0700 when missing; null when there is no home, or
 * when the directory is not one only this user can write (then nothing is read or written).
 */
export function codeCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env['GIT_SEAL_CODE_CACHE'] === 'off' || typeof process.getuid !== 'function') return null
  // XDG: a relative XDG_CACHE_HOME is ignored, as if unset.
  const xdg = env['XDG_CACHE_HOME']
  const base = xdg?.startsWith('/') ? xdg : env['HOME']?.startsWith('/') ? join(env['HOME'], '.cache') : null
  if (base === null) return null
  const dir = join(base, 'git-seal', 'v8')
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const st = lstatSync(dir)
    if (!st.isDirectory() || st.uid !== process.getuid()) return null
    if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700)
    return dir
  } catch {
    // A read-only home, no permission: run without a cache.
    return null
  }
}

/** What the cached code depends on besides the source: V8 rejects data from another version or flags, and we never offer it. */
function runtimeKey(): string {
  return [
    process.version,
    process.versions.v8,
    process.platform,
    process.arch,
    process.execArgv.join(' '),
    process.env['NODE_OPTIONS'] ?? '',
  ].join('\0')
}

export interface CacheFile {
  /** where the cache for this body lives */
  file: string
  /** the hash of everything the cached code depends on (runtime and source) */
  key: Buffer
}

/** The cache file of `name` for the body whose bytes are `body`, in `dir`. */
export function cacheFileFor(dir: string, name: string, body: Uint8Array): CacheFile {
  const key = sha256(`${runtimeKey()}\0${sha256(body).toString('hex')}`)
  return { file: join(dir, `${name}-${key.toString('hex').slice(0, 32)}.bin`), key }
}

/** A cache file's content: V8's data, and the paths through the code it covers. */
export interface CachedCode {
  data: Buffer
  paths: Set<string>
}

/** The paths' names as the header holds them: sorted, comma-separated, at most 255 bytes (names past that are left out). */
function pathsField(paths: Iterable<string>): Buffer {
  let text = ''
  for (const name of [...new Set(paths)].filter((n) => /^[a-z0-9-]+$/.test(n)).sort()) {
    const next = text ? `${text},${name}` : name
    if (next.length > 255) break
    text = next
  }
  return Buffer.from(text, 'latin1')
}

/**
 * The cached code in `file` when its header names `key` and the rest is intact; else null
 * (missing, foreign, damaged, not a regular file of this user's that only they can write).
 */
export function readCodeCache(file: string, key: Buffer): CachedCode | null {
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch {
    return null // none yet
  }
  try {
    const st = fstatSync(fd)
    if (!st.isFile() || st.uid !== process.getuid?.() || (st.mode & 0o022) !== 0 || st.size <= HEADER) return null
    const buf = Buffer.allocUnsafe(st.size)
    let read = 0
    while (read < st.size) {
      const n = readSync(fd, buf, read, st.size - read, null)
      if (n === 0) return null
      read += n
    }
    if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) return null
    if (!buf.subarray(MAGIC.length, MAGIC.length + HASH).equals(key)) return null
    const rest = buf.subarray(MAGIC.length + 2 * HASH)
    if (!sha256(rest).equals(buf.subarray(MAGIC.length + HASH, MAGIC.length + 2 * HASH))) return null
    const named = 1 + rest[0]!
    if (rest.length <= named) return null
    const names = rest.subarray(1, named).toString('latin1')
    return { data: rest.subarray(named), paths: new Set(names ? names.split(',') : []) }
  } catch {
    return null // unreadable: compile without it
  } finally {
    closeSync(fd)
  }
}

/**
 * Writes `data`, covering `paths`, as the cache for `key`: temp file and rename, so a reader
 * sees a whole file or none. Failures are ignored.
 */
export function writeCodeCache(
  dir: string,
  file: string,
  key: Buffer,
  data: Buffer,
  paths: Iterable<string> = [],
): void {
  const tmp = join(dir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`)
  try {
    const names = pathsField(paths)
    const rest = Buffer.concat([Buffer.from([names.length]), names, data])
    writeFileSync(tmp, Buffer.concat([MAGIC, key, sha256(rest), rest]), { mode: 0o600, flag: 'wx' })
    renameSync(tmp, file)
  } catch {
    // A full disk or a race with another writer: the next start compiles and tries again.
    rmSync(tmp, { force: true })
    return
  }
  pruneStale(dir, file)
}

/** Removes other cache files (and temp files left by a kill) not touched for {@link STALE_MS}. */
function pruneStale(dir: string, keep: string): void {
  try {
    const now = Date.now()
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (path === keep) continue
      try {
        if (now - statSync(path).mtimeMs > STALE_MS) rmSync(path, { force: true })
      } catch {
        // Removed meanwhile by another process.
      }
    }
  } catch {
    // The directory went away: nothing to prune.
  }
}

/**
 * Runs the CommonJS program in `bodyFile` (its source ASCII, as esbuild writes it) with a V8
 * code cache: compiled from the cache when there is a valid one, else the normal way and a
 * cache written when the process exits (after the work, so what ran is in it). `require`,
 * `__filename` and `import.meta` (as `__gitSealMeta`) are the body's own.
 * @throws {Error} when the body cannot be read (an incomplete installation).
 */
export function runWithCodeCache(bodyFile: string, name: string): void {
  // esbuild writes ASCII (charset 'ascii'): latin1 is the cheapest exact decoding of it.
  const body = readFileSync(bodyFile)
  const source = body.toString('latin1')
  const dir = codeCacheDir()
  const cache = dir === null ? null : cacheFileFor(dir, name, body)
  const cached = cache === null ? null : readCodeCache(cache.file, cache.key)
  const wrapped = `(function (exports, require, module, __filename, __dirname, __gitSealMeta) {${source}\n})`
  const script = new Script(wrapped, { filename: bodyFile, ...(cached ? { cachedData: cached.data } : {}) })
  const taken = collectCodePaths()
  if (dir !== null && cache !== null) {
    const covered = cached !== null && script.cachedDataRejected !== true ? cached.paths : null
    process.once('exit', () => {
      // Written when there was none (or V8 rejected it), and when this process ran code the
      // cache lacks: made after the work, it then holds what ran from the old cache and the new.
      // Two processes writing at once: the last rename wins, and a later start that takes the
      // path the other covered writes the union again. Never after V8's flags changed here:
      // the next start would reject that cache.
      if (v8FlagsChanged()) return
      if (covered !== null && [...taken].every((p) => covered.has(p))) return
      try {
        writeCodeCache(dir, cache.file, cache.key, script.createCachedData(), [...(covered ?? []), ...taken])
      } catch {
        // createCachedData failing leaves the next start to compile: nothing is lost.
      }
    })
  }
  const module = { exports: {} }
  const dirName = bodyFile.slice(0, bodyFile.lastIndexOf('/'))
  // import.meta for the body: its url made on first use (the URL machinery costs a start ~1 ms,
  // and only loading a vendored library asks for it).
  let url: string | undefined
  const meta = {
    get url(): string {
      url ??= pathToFileURL(bodyFile).href
      return url
    },
  }
  ;(script.runInThisContext() as (...args: unknown[]) => void).call(
    module.exports,
    module.exports,
    createRequire(bodyFile),
    module,
    bodyFile,
    dirName,
    meta,
  )
}
