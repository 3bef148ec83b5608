// The V8 code cache of the entries git starts (src/startup/code-cache.ts): written 0600 in a
// 0700 per-user directory, holding no plaintext, and never able to change what the filter
// does: a damaged, foreign or rejected cache file still gives the right output.
import { chmodSync, existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { codeCacheDir, readCodeCache, writeCodeCache } from '../../src/startup/code-cache.js'
import { bigSecret, expectNoLeak, isAgeFile, sealedRepo, tempDir, type Repo } from '../helpers/repo.js'

const MARKER = 'code-cache-marker-71c3'

function cacheFiles(dir: string): string[] {
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((n) => n.endsWith('.bin'))
        .map((n) => join(dir, n))
    : []
}

/** A sealed repository whose filter keeps its code cache in a directory of the test's own (returned). */
function repoWithCache(): { repo: Repo; dir: string } {
  const { repo } = sealedRepo()
  const cache = join(tempDir('git-seal-cache-'), 'xdg')
  repo.env['XDG_CACHE_HOME'] = cache
  return { repo, dir: join(cache, 'git-seal', 'v8') }
}

/** A checkout of secrets/a.txt from the index, read back. */
function checkout(repo: Repo): string {
  rmSync(join(repo.dir, 'secrets', 'a.txt'))
  const r = repo.tryGit('checkout', '--', 'secrets/a.txt')
  expect(r.status, r.stderr).toBe(0)
  return repo.read('secrets/a.txt').toString()
}

describe('the code cache of the entries git starts', () => {
  it('is written 0600 in a 0700 directory of the user, holds no plaintext, and is used', () => {
    const { repo, dir } = repoWithCache()
    repo.write('secrets/a.txt', `${MARKER} one\n`)
    repo.git('add', 'secrets/a.txt')
    expect(isAgeFile(repo.blob(':secrets/a.txt'))).toBe(true)
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    const files = cacheFiles(dir)
    expect(files.length).toBe(1) // the filter's entry
    expect(statSync(files[0]!).mode & 0o777).toBe(0o600)
    expect(readFileSync(files[0]!).includes(MARKER)).toBe(false)
    const key = readFileSync(files[0]!).subarray(18, 50)
    expect([...readCodeCache(files[0]!, key)!.paths].sort()).toEqual(['age', 'clean'])
    // A checkout runs code the add did not: the cache is made again, covering both…
    expect(checkout(repo)).toBe(`${MARKER} one\n`)
    expect([...readCodeCache(files[0]!, key)!.paths]).toEqual(expect.arrayContaining(['age', 'clean', 'smudge']))
    // …and an edit staged runs the comparison with the stored version (unless the checkout's
    // re-clean of a file it had just written did already)…
    repo.write('secrets/a.txt', `${MARKER} one more\n`)
    repo.git('add', 'secrets/a.txt')
    expect([...readCodeCache(files[0]!, key)!.paths].sort()).toEqual(['age', 'clean', 'smudge', 'stored'])
    const written = statSync(files[0]!).mtimeMs
    // …and then it is read, not written again, by any of them.
    expect(checkout(repo)).toBe(`${MARKER} one more\n`)
    repo.write('secrets/a.txt', `${MARKER} one more again\n`)
    repo.git('add', 'secrets/a.txt')
    expect(statSync(files[0]!).mtimeMs).toBe(written)
    expect(cacheFiles(dir)).toEqual(files)
    for (const f of cacheFiles(dir)) expect(readFileSync(f).includes(MARKER)).toBe(false)
    expectNoLeak(repo, MARKER)
  })

  it('a cache covering the paths a start takes makes that start compile less', () => {
    // What the coverage is for: V8 compiles at start what the cache lacks. Held by V8's own log
    // of the functions it compiled (no timing): a checkout from a cache made by an add compiles
    // smudge code; from the cache made again after it, none.
    const { repo } = repoWithCache()
    const log = join(tempDir('git-seal-v8log-'), 'v8.log')
    // The flags are part of the cache's key: every start below uses the same ones.
    const filter = `filter.git-seal.process=node --log-function-events --logfile=${log} --no-logfile-per-isolate .git/git-seal/dist/hot.cjs filter-process`
    const compiledInBody = (): number => {
      const text = readFileSync(log, 'latin1')
      const id = /^script-details,(\d+),[^,\n]*hot\.body\.js,/m.exec(text)?.[1]
      expect(id).toBeDefined()
      return text.split('\n').filter((l) => l.startsWith(`function,interpreter,${id},`)).length
    }
    repo.write('secrets/a.txt', `${MARKER} three\n`)
    expect(repo.tryGit('-c', filter, 'add', 'secrets/a.txt').status).toBe(0)
    const checkoutCompiles = (): number => {
      rmSync(join(repo.dir, 'secrets', 'a.txt'))
      const r = repo.tryGit('-c', filter, 'checkout', '--', 'secrets/a.txt')
      expect(r.status, r.stderr).toBe(0)
      expect(repo.read('secrets/a.txt').toString()).toBe(`${MARKER} three\n`)
      return compiledInBody()
    }
    const fromAddOnly = checkoutCompiles()
    const fromBoth = checkoutCompiles()
    expect(fromAddOnly).toBeGreaterThan(10)
    expect(fromBoth).toBe(0)
    expectNoLeak(repo, MARKER)
  })

  it('a process that changed V8 flags (a large checkout) leaves the cache alone', () => {
    // smudge.ts exposes V8's collector to hold a large file's plaintext: a cache made after
    // that carries the flag, and the next start would reject it.
    const { repo, dir } = repoWithCache()
    repo.write('secrets/a.txt', `${MARKER} five\n`)
    repo.write('secrets/big.bin', bigSecret(6 << 20, MARKER))
    repo.git('add', 'secrets')
    repo.git('commit', '-qm', 'big')
    const [file] = cacheFiles(dir)
    const key = readFileSync(file!).subarray(18, 50)
    const before = readFileSync(file!)
    rmSync(join(repo.dir, 'secrets', 'big.bin'))
    // Spilled past 1 MiB (as past 8 MiB by default): holding its plaintext needs the collector.
    const r = repo.run('git', ['checkout', '--', 'secrets/big.bin'], {
      env: { ...repo.env, GIT_SEAL_DEBUG: 'smudge', GIT_SEAL_SPILL_THRESHOLD: String(1 << 20) },
    })
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toContain('decrypted once, the plaintext held in memory')
    expect(readFileSync(file!).equals(before)).toBe(true)
    // The next small checkout covers smudge, in a cache the start after it accepts (not rewritten).
    expect(checkout(repo)).toBe(`${MARKER} five\n`)
    expect([...readCodeCache(file!, key)!.paths]).toEqual(expect.arrayContaining(['age', 'clean', 'smudge']))
    const written = statSync(file!).mtimeMs
    expect(checkout(repo)).toBe(`${MARKER} five\n`)
    expect(statSync(file!).mtimeMs).toBe(written)
    expectNoLeak(repo, MARKER)
  })

  it('a damaged, foreign or V8-rejected cache file gives the same output, and is replaced', () => {
    const { repo, dir } = repoWithCache()
    repo.write('secrets/a.txt', `${MARKER} two\n`)
    repo.git('add', 'secrets/a.txt')
    // The filter's key (its runtime differs from the test runner's: NODE_OPTIONS, flags) is in the header.
    const files = cacheFiles(dir)
    expect(files.length).toBe(1)
    const file = files[0]!
    const good = readFileSync(file)
    const key = good.subarray(18, 50)
    expect(readCodeCache(file, key)).not.toBeNull()
    // Damaged: bytes of the data flipped (the header's hash no longer matches).
    const damaged = Buffer.from(good)
    for (let i = good.length - 200; i < good.length; i++) damaged[i] = damaged[i]! ^ 0xff
    writeFileSync(file, damaged)
    expect(readCodeCache(file, key)).toBeNull()
    expect(checkout(repo)).toBe(`${MARKER} two\n`)
    expect(readCodeCache(file, key)).not.toBeNull() // replaced by a valid one
    // Foreign: a whole, well-formed file of another key.
    writeFileSync(file, Buffer.concat([good.subarray(0, 18), Buffer.alloc(32, 7), good.subarray(50)]))
    expect(readCodeCache(file, key)).toBeNull()
    expect(checkout(repo)).toBe(`${MARKER} two\n`)
    expect(readCodeCache(file, key)).not.toBeNull()
    // Rejected by V8: the right key and an intact hash, but data that is no code cache.
    rmSync(file)
    writeCodeCache(dir, file, key, Buffer.alloc(4096, 0x5a))
    expect(readCodeCache(file, key)?.data.length).toBe(4096) // our checks pass it on to V8…
    expect(checkout(repo)).toBe(`${MARKER} two\n`) // …which rejects it: a normal compile
    expect(readCodeCache(file, key)?.data.length).not.toBe(4096)
    // The earlier format (v1): ignored, and replaced.
    const v1 = Buffer.from(readFileSync(file))
    v1.write('gitseal-v8cache-1\n', 0, 'latin1')
    writeFileSync(file, v1)
    expect(readCodeCache(file, key)).toBeNull()
    expect(checkout(repo)).toBe(`${MARKER} two\n`)
    expect(readCodeCache(file, key)).not.toBeNull()
    // A file others can write is never read.
    chmodSync(file, 0o666)
    expect(readCodeCache(file, key)).toBeNull()
    expect(checkout(repo)).toBe(`${MARKER} two\n`)
    expectNoLeak(repo, MARKER)
  })

  it("no cache where the directory is not only the user's, or when turned off", () => {
    const base = tempDir('git-seal-cache-')
    expect(codeCacheDir({ XDG_CACHE_HOME: 'relative/path' })).toBeNull()
    expect(codeCacheDir({ XDG_CACHE_HOME: 'relative/path', HOME: base })).toBe(join(base, '.cache', 'git-seal', 'v8'))
    expect(codeCacheDir({ XDG_CACHE_HOME: base, GIT_SEAL_CODE_CACHE: 'off' })).toBeNull()
    expect(codeCacheDir({ HOME: base })).toBe(join(base, '.cache', 'git-seal', 'v8'))
    // A directory others could write is closed to them before use.
    chmodSync(join(base, '.cache', 'git-seal', 'v8'), 0o777)
    expect(codeCacheDir({ HOME: base })).toBe(join(base, '.cache', 'git-seal', 'v8'))
    expect(statSync(join(base, '.cache', 'git-seal', 'v8')).mode & 0o777).toBe(0o700)
  })
})
