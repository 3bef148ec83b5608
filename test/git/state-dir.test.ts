// The state directory (src/git/state-dir.ts) is the one module that names the files under
// `.git/git-seal/`: their names are on disk in existing clones, and no other module spells them.
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ALL_STATE_FILES, STATE_FILES, StateDirectory, stateDir, stateFile } from '../../src/git/state-dir.js'

const src = join(__dirname, '..', '..', 'src')

function* sources(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) yield* sources(p)
    else if (p.endsWith('.ts')) yield p
  }
}

describe('state directory', () => {
  it('keeps the names existing clones have on disk', () => {
    expect(STATE_FILES).toEqual({
      blobRecords: 'blobs.jsonl',
      plaintextMacs: 'fingerprints',
      plaintextMacKey: 'fingerprint.key',
      locked: 'locked',
      guardStamp: 'guard-stamp',
      configCache: 'config-cache.json',
      headTree: 'head-tree',
      dist: 'dist',
      launcher: 'git-seal',
      legacyBundle: 'git-seal.mjs',
    })
    expect([...ALL_STATE_FILES].sort()).toEqual(Object.values(STATE_FILES).sort())
  })

  it('is <common dir>/git-seal, and only its module spells the names of the files in it', () => {
    expect(stateDir({ top: '/w', gitDir: '/w/.git/worktrees/x', commonDir: '/w/.git', objectFormat: 'sha1' })).toBe(
      '/w/.git/git-seal',
    )
    const spelled: string[] = []
    for (const file of sources(src)) {
      if (file.endsWith(join('git', 'state-dir.ts'))) continue
      const text = readFileSync(file, 'utf8')
      for (const name of ['blobs.jsonl', 'fingerprint.key', 'config-cache.json', 'guard-stamp']) {
        if (text.includes(`'${name}'`)) spelled.push(`${relative(src, file)}: ${name}`)
      }
      // Words that are also a reason or a noun elsewhere: as a file name (joined, or a constant's value).
      for (const m of text.matchAll(/(?:join\([^)]*|(?<![=!<>])=\s*)'(locked|fingerprints)'/g))
        spelled.push(`${relative(src, file)}: ${m[1]}`)
    }
    expect(spelled).toEqual([])
  })

  it('tells a locked clone by its mark', () => {
    const dir = mkdtempSync(join(tmpdir(), 'git-seal-state-'))
    const state = new StateDirectory(dir)
    expect(state.isLocked()).toBe(false)
    writeFileSync(stateFile(dir, 'locked'), 'locked\n')
    expect(state.isLocked()).toBe(true)
    expect(state.file('blobRecords')).toBe(join(dir, 'blobs.jsonl'))
  })
})
