/** Where things are in the current repository: work tree, git dir, common dir, git-seal's state. */
import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { UserError } from '../errors.js'
import { GitError, git, gitMaybe } from './run.js'

export interface RepoPaths {
  /** top of the work tree, or null in a bare repository */
  top: string | null
  /** this worktree's git dir (.git, or .git/worktrees/NAME) */
  gitDir: string
  /** the git dir shared by all linked worktrees: config, objects and git-seal's state live here */
  commonDir: string
  /** the hash of object ids in this repository */
  objectFormat: 'sha1' | 'sha256'
}

/**
 * Paths of the repository containing `cwd`.
 * @throws {UserError} when cwd is not inside a git repository.
 */
export function repoPaths(cwd: string = process.cwd()): RepoPaths {
  let out: string
  let top: string | null
  try {
    // One process in the common case (a work tree); a bare repository has no top level, so it
    // is asked again without.
    const withTop = gitMaybe(['rev-parse', '--git-dir', '--git-common-dir', '--is-bare-repository', '--show-object-format', '--show-toplevel'], { cwd })
    if (withTop !== null) {
      out = withTop
      top = withTop.split('\n')[4] ?? null
    } else {
      out = git(['rev-parse', '--git-dir', '--git-common-dir', '--is-bare-repository', '--show-object-format'], { cwd })
      top = null
    }
  } catch (e) {
    if (e instanceof GitError) throw new UserError('not inside a git repository', "run this in a clone, or 'git init' first", 'not-a-repository')
    throw e
  }
  const [gitDir = '', commonDir = '', bare = '', format = 'sha1'] = out.split('\n')
  if (bare === 'true') top = null
  return { top, gitDir: resolve(cwd, gitDir), commonDir: resolve(cwd, commonDir), objectFormat: format === 'sha256' ? 'sha256' : 'sha1' }
}

/** git-seal's per-clone state directory (shared by linked worktrees), created 0700 on demand. */
export function stateDir(paths: RepoPaths, create = false): string {
  const dir = join(paths.commonDir, 'git-seal')
  if (create) mkdirSync(dir, { recursive: true, mode: 0o700 })
  return dir
}
