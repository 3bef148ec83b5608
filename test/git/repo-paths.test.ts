// repoPaths answers without git rev-parse only where it is certain: held to git's own answer.
import { spawnSync } from 'node:child_process'
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { repoPaths } from '../../src/git/repo.js'
import { newHome, tempDir } from '../helpers/repo.js'

const home = newHome()
const git = (cwd: string, ...args: string[]): void => {
  const r = spawnSync('git', args, { cwd, env: home.env })
  expect(r.status, r.stderr.toString()).toBe(0)
}
const saved = { ...process.env }
afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
  Object.assign(process.env, saved)
})

/** repoPaths as a filter started by git sees it, and as git rev-parse says. */
function both(cwd: string): { started: ReturnType<typeof repoPaths>; asked: ReturnType<typeof repoPaths> } {
  delete process.env['GIT_DIR']
  delete process.env['GIT_WORK_TREE']
  delete process.env['GIT_COMMON_DIR']
  process.env['GIT_EXEC_PATH'] = '/usr/lib/git-core'
  const started = repoPaths(cwd)
  delete process.env['GIT_EXEC_PATH']
  const asked = repoPaths(cwd)
  return { started, asked }
}

describe('repoPaths started by git', () => {
  it('agrees with git rev-parse: a main worktree, a sha256 repository, a linked worktree, core.worktree, a subdirectory', () => {
    const plain = realpathSync(tempDir())
    git(plain, 'init', '-q')
    const sha256 = realpathSync(tempDir())
    git(sha256, 'init', '-q', '--object-format=sha256')
    writeFileSync(join(plain, 'f'), 'x\n')
    git(plain, 'add', 'f')
    git(plain, '-c', 'user.name=t', '-c', 'user.email=t@x', 'commit', '-qm', 'f')
    const linked = join(realpathSync(tempDir()), 'wt')
    git(plain, 'worktree', 'add', '-q', linked)
    const split = realpathSync(tempDir())
    git(split, 'init', '-q')
    const elsewhere = realpathSync(tempDir())
    git(split, 'config', 'core.worktree', elsewhere)
    mkdirSync(join(plain, 'sub'))
    for (const cwd of [plain, sha256, linked, split, join(plain, 'sub')]) {
      const { started, asked } = both(cwd)
      expect(started, cwd).toEqual(asked)
    }
    expect(both(sha256).started.objectFormat).toBe('sha256')
    // Which ones answered without git: with no git on PATH, only the main worktree's.
    process.env['GIT_EXEC_PATH'] = '/usr/lib/git-core'
    process.env['PATH'] = ''
    expect(repoPaths(plain).top).toBe(plain)
    for (const cwd of [sha256, linked, split, join(plain, 'sub')]) expect(() => repoPaths(cwd), cwd).toThrow()
  })
})
