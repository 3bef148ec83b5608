// The config cache: keyed by content and build, never by stat; any doubt is a miss.
import { mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CONFIG_CACHE_FILE, loadConfigCached } from '../../src/config/cache.js'
import { compilePattern, findSecret, parseConfig } from '../../src/config/index.js'
import { newKey, simpleConfig, tempDir } from '../helpers/repo.js'

function setup(patterns = ['secrets/**', '*.secret', 'dir with space/[ab]?.txt']): {
  root: string
  state: string
  write(text: string): void
  text: string
} {
  const root = tempDir('git-seal-cache-')
  const state = join(root, '.git', 'git-seal')
  mkdirSync(state, { recursive: true })
  const text = simpleConfig(patterns, [{ name: 'alice', key: newKey().recipient }])
  const write = (t: string): void => writeFileSync(join(root, '.gitseal.yaml'), t)
  write(text)
  return { root, state, write, text }
}

describe('config cache', () => {
  it('a hit is the config parseConfig returns, and matches paths the same way', () => {
    const { root, state, text } = setup()
    const first = loadConfigCached(root, state, 'build-1')!
    const cacheFile = join(state, CONFIG_CACHE_FILE)
    expect(statSync(cacheFile).mode & 0o777).toBe(0o600)
    // Mark the cache so a hit is told from a parse: a hit returns what the file says.
    const cached = JSON.parse(readFileSync(cacheFile, 'utf8'))
    cached.config.secrets[0].name = 'from-the-cache'
    writeFileSync(cacheFile, JSON.stringify(cached))
    const hit = loadConfigCached(root, state, 'build-1')!
    expect(hit.secrets[0]!.name).toBe('from-the-cache')
    hit.secrets[0]!.name = first.secrets[0]!.name
    expect(hit).toEqual(parseConfig(text))
    for (const path of ['secrets/a', 'x/y.secret', 'dir with space/a1.txt', 'dir with space/c1.txt', 'README']) {
      expect(findSecret(hit, path)?.name ?? null, path).toBe(findSecret(first, path)?.name ?? null)
    }
    // the seeded regexes behave like freshly compiled ones
    expect(compilePattern('dir with space/[ab]?.txt')('dir with space/b2.txt')).toBe(true)
  })

  it('an edit is seen even when size and mtime stay the same (keyed by content, not stat)', () => {
    const { root, state, text, write } = setup()
    const file = join(root, '.gitseal.yaml')
    loadConfigCached(root, state, 'build-1')
    const before = statSync(file)
    const other = newKey().recipient
    const edited = text.replace(/key: age1\S+/, `key: ${other}`)
    expect(edited.length).toBe(text.length)
    write(edited)
    utimesSync(file, before.atime, before.mtime)
    const after = loadConfigCached(root, state, 'build-1')!
    expect(after.secrets[0]!.recipients.map((r) => r.key)).toEqual([other])
  })

  it('a cache written by another build, or damaged, is a miss', () => {
    const { root, state } = setup()
    loadConfigCached(root, state, 'build-1')
    const cacheFile = join(state, CONFIG_CACHE_FILE)
    const cached = JSON.parse(readFileSync(cacheFile, 'utf8'))
    cached.config.secrets[0].name = 'from-the-cache'
    writeFileSync(cacheFile, JSON.stringify(cached))
    expect(loadConfigCached(root, state, 'build-2')!.secrets[0]!.name).toBe('main')
    for (const damaged of ['', '{', 'null', '{"key":1}', JSON.stringify({ ...cached, config: { secrets: 'x' } })]) {
      writeFileSync(cacheFile, damaged)
      expect(loadConfigCached(root, state, 'build-1')!.secrets[0]!.name, damaged).toBe('main')
    }
  })

  it('an invalid config is never cached: it fails the same way every time', () => {
    const { root, state, write } = setup()
    write('version: 1\ngroups: [\n')
    for (let i = 0; i < 2; i++) expect(() => loadConfigCached(root, state, 'build-1')).toThrow(/\.gitseal\.yaml/)
    expect(() => readFileSync(join(state, CONFIG_CACHE_FILE))).toThrow()
  })

  it('without a state directory or a build id, it parses and writes nothing', () => {
    const { root, state } = setup()
    expect(loadConfigCached(root, join(root, 'missing'), 'build-1')!.secrets).toHaveLength(1)
    expect(loadConfigCached(root, state, null)!.secrets).toHaveLength(1)
    expect(() => readFileSync(join(state, CONFIG_CACHE_FILE))).toThrow()
    expect(loadConfigCached(tempDir(), state, 'build-1')).toBeNull()
  })
})
