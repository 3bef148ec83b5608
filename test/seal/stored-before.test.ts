// What clean compares input with: the index's and HEAD's blobs, read in-process. The index is
// read again whenever it changes, checked on every use, or once per request in the filter
// (beginRequest): git leaves its index alone while it waits for an answer (issue 16).
import { spawnSync } from 'node:child_process'
import { realpathSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoPaths } from '../../src/git/repo.js'
import { StateDirectory } from '../../src/git/state-dir.js'
import { StoredBefore } from '../../src/seal/stored-before.js'
import { newHome, tempDir } from '../helpers/repo.js'

const home = newHome()
function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', args, { cwd, env: home.env })
  expect(r.status, r.stderr.toString()).toBe(0)
  return r.stdout.toString().trim()
}

function setup(): { dir: string; stored: StoredBefore; stage: (text: string) => string } {
  const dir = realpathSync(tempDir())
  git(dir, 'init', '-q')
  const paths = repoPaths(dir)
  const stored = new StoredBefore(paths, dir, StateDirectory.of(paths), home.env)
  const stage = (text: string): string => {
    writeFileSync(join(dir, 'f'), text)
    git(dir, 'add', 'f')
    return git(dir, 'rev-parse', ':f')
  }
  return { dir, stored, stage }
}

describe('StoredBefore', () => {
  it('says when the index holds a conflict (its stage-0 map does not show the conflicted paths)', async () => {
    const { dir, stored, stage } = setup()
    const one = stage('one\n')
    expect(stored.indexPathsWithoutConflicts()?.get('f')).toBe(one)
    const info = [1, 2, 3].map((n) => `100644 ${one} ${n}\tsub/.gitattributes\0`).join('')
    const r = spawnSync('git', ['update-index', '-z', '--index-info'], { cwd: dir, env: home.env, input: info })
    expect(r.status, r.stderr.toString()).toBe(0)
    expect(stored.indexPaths()?.has('sub/.gitattributes')).toBe(false)
    expect(stored.indexPathsWithoutConflicts()).toBeNull()
    stored.close()
  })

  it('sees every change of the index when used outside the filter', async () => {
    const { stored, stage } = setup()
    const one = stage('one\n')
    expect(await stored.storedVersionOids('f')).toEqual([one])
    const two = stage('two\n')
    expect(await stored.storedVersionOids('f')).toEqual([two])
    stored.close()
  })

  it('in the filter, reads the index once per request, and again at the next request', async () => {
    const { stored, stage } = setup()
    const one = stage('one\n')
    stored.beginRequest()
    expect(await stored.storedVersionOids('f')).toEqual([one])
    const two = stage('two\n') // git never does this within a request: shown to prove the index is not stat'ed again
    expect(await stored.storedVersionOids('f')).toEqual([one])
    stored.beginRequest()
    expect(await stored.storedVersionOids('f')).toEqual([two])
    expect(stored.indexPaths()?.get('f')).toBe(two)
    stored.close()
  })
})
