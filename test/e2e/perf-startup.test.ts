// Start-up: what git starts per command loads its own entry (dist/hot.mjs), the config comes
// from a cache keyed by content, and yaml/picomatch load only when a request needs them.
import { existsSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { decrypt } from '../../src/age/index.js'
import { parseIdentity } from '../../src/age/index.js'
import { expectNoLeak, isAgeFile, newKey, sealedRepo, simpleConfig } from '../helpers/repo.js'

const MARKER = 'startup-marker-4d81'

describe('start-up', () => {
  it('git runs the filter from its own entry: add and checkout work without the CLI entry', () => {
    const { repo } = sealedRepo()
    const dist = join(repo.dir, '.git', 'git-seal', 'dist')
    expect(existsSync(join(dist, 'hot.mjs'))).toBe(true)
    renameSync(join(dist, 'git-seal.mjs'), join(dist, 'git-seal.mjs.away'))
    repo.write('secrets/a.txt', `${MARKER} one\n`)
    repo.git('add', 'secrets/a.txt')
    expect(isAgeFile(repo.blob(':secrets/a.txt'))).toBe(true)
    rmSync(join(repo.dir, 'secrets', 'a.txt'))
    repo.git('checkout', '--', 'secrets/a.txt')
    expect(repo.read('secrets/a.txt').toString()).toBe(`${MARKER} one\n`)
    renameSync(join(dist, 'git-seal.mjs.away'), join(dist, 'git-seal.mjs'))
    expectNoLeak(repo, MARKER)
  })

  it('an edited config is used at once, even with the same size and mtime (the cache is keyed by content)', () => {
    const { repo, key: alice } = sealedRepo()
    repo.write('secrets/a.txt', `${MARKER} v1\n`)
    repo.git('add', 'secrets/a.txt')
    expect(existsSync(join(repo.dir, '.git', 'git-seal', 'config-cache.json'))).toBe(true)
    const bob = newKey()
    const file = join(repo.dir, '.gitseal.yaml')
    const before = statSync(file)
    const config = simpleConfig(['secrets/**', '*.secret'], [{ name: 'alice', key: bob.recipient }])
    expect(config.length).toBe(before.size)
    repo.write('.gitseal.yaml', config)
    utimesSync(file, before.atime, before.mtime)
    repo.write('secrets/a.txt', `${MARKER} v2\n`)
    repo.git('add', 'secrets/a.txt')
    const blob = repo.blob(':secrets/a.txt')
    expect(Buffer.from(decrypt(blob, [parseIdentity(bob.identity)])).toString()).toBe(`${MARKER} v2\n`)
    expect(() => decrypt(blob, [parseIdentity(alice.identity)])).toThrow()
    expectNoLeak(repo, MARKER)
  })

  it('install leaves the config parsed for the filter: its first start needs neither yaml nor picomatch', () => {
    const { repo } = sealedRepo()
    expect(existsSync(join(repo.dir, '.git', 'git-seal', 'config-cache.json'))).toBe(true)
    const vendor = join(repo.dir, '.git', 'git-seal', 'dist', 'vendor')
    for (const name of ['yaml.cjs', 'picomatch.cjs']) renameSync(join(vendor, name), join(vendor, `${name}.away`))
    try {
      repo.write('secrets/a.txt', `${MARKER} first\n`)
      const add = repo.tryGit('add', 'secrets/a.txt')
      expect(add.status, add.stderr).toBe(0)
      expect(isAgeFile(repo.blob(':secrets/a.txt'))).toBe(true)
    } finally {
      for (const name of ['yaml.cjs', 'picomatch.cjs']) renameSync(join(vendor, `${name}.away`), join(vendor, name))
    }
    expectNoLeak(repo, MARKER)
  })

  it('yaml and picomatch load only when a request needs them; missing, the add fails closed', () => {
    const { repo } = sealedRepo()
    repo.write('secrets/a.txt', `${MARKER} a\n`)
    repo.git('add', 'secrets/a.txt') // parses the config once, and caches it
    repo.git('commit', '-qm', 'a')
    const vendor = join(repo.dir, '.git', 'git-seal', 'dist', 'vendor')
    for (const name of ['yaml.cjs', 'picomatch.cjs']) renameSync(join(vendor, name), join(vendor, `${name}.away`))
    // An age secret with a cached config: neither library is needed.
    repo.write('secrets/a.txt', `${MARKER} a2\n`)
    const add = repo.tryGit('add', 'secrets/a.txt')
    expect(add.status, add.stderr).toBe(0)
    rmSync(join(repo.dir, 'secrets', 'a.txt'))
    expect(repo.tryGit('checkout', '--', 'secrets/a.txt').status).toBe(0)
    expect(repo.read('secrets/a.txt').toString()).toBe(`${MARKER} a2\n`)
    // A YAML secret needs the parser: without it, git add fails and nothing is staged.
    repo.write('secrets/b.yaml', `token: ${MARKER}\n`)
    const yamlAdd = repo.tryGit('add', 'secrets/b.yaml')
    expect(yamlAdd.status).not.toBe(0)
    expect(yamlAdd.stderr).toContain('dist/vendor/yaml.cjs')
    expect(repo.tryGit('cat-file', '-e', ':secrets/b.yaml').status).not.toBe(0)
    for (const name of ['yaml.cjs', 'picomatch.cjs']) renameSync(join(vendor, `${name}.away`), join(vendor, name))
    expect(repo.tryGit('add', 'secrets/b.yaml').status).toBe(0)
    expectNoLeak(repo, MARKER)
  })
})
