/** Where things are in the current repository: work tree, git dir, common dir, git-seal's state. */
import { existsSync, readFileSync, statSync } from 'node:fs'
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
  const known = pathsGitStartedUsAt(cwd)
  if (known) return known
  let out: string
  let top: string | null
  try {
    // One process in the common case (a work tree); a bare repository has no top level, so it
    // is asked again without.
    const withTop = gitMaybe(
      ['rev-parse', '--git-dir', '--git-common-dir', '--is-bare-repository', '--show-object-format', '--show-toplevel'],
      { cwd },
    )
    if (withTop !== null) {
      out = withTop
      top = withTop.split('\n')[4] ?? null
    } else {
      out = git(['rev-parse', '--git-dir', '--git-common-dir', '--is-bare-repository', '--show-object-format'], { cwd })
      top = null
    }
  } catch (e) {
    if (e instanceof GitError)
      throw new UserError('not inside a git repository', "run this in a clone, or 'git init' first", 'not-a-repository')
    throw e
  }
  const [gitDir = '', commonDir = '', bare = '', format = 'sha1'] = out.split('\n')
  if (bare === 'true') top = null
  return {
    top,
    gitDir: resolve(cwd, gitDir),
    commonDir: resolve(cwd, commonDir),
    objectFormat: format === 'sha256' ? 'sha256' : 'sha1',
  }
}

/**
 * The paths without starting `git rev-parse` (a process per filter start) in the one case
 * where they are certain: git started us (GIT_EXEC_PATH, which git sets for its filters and
 * hooks) at the top of a main worktree, the only place git runs them: `cwd/.git` is a git
 * directory, no GIT_DIR, GIT_WORK_TREE or GIT_COMMON_DIR says otherwise, and its config sets no
 * core.worktree and no extension (objectFormat, worktreeConfig…) and is not bare. Anything else,
 * or any doubt, asks git.
 */
function pathsGitStartedUsAt(cwd: string): RepoPaths | null {
  const env = process.env
  if (!env['GIT_EXEC_PATH'] || env['GIT_DIR'] || env['GIT_WORK_TREE'] || env['GIT_COMMON_DIR']) return null
  const gitDir = join(cwd, '.git')
  let config: string
  try {
    if (!statSync(gitDir).isDirectory() || !statSync(join(gitDir, 'HEAD')).isFile()) return null
    config = readFileSync(join(gitDir, 'config'), 'utf8')
  } catch {
    return null // no such directory, or unreadable: ask git
  }
  // Keys are case-insensitive; a value may mention these words (`--worktree=ciphertext`), a key line starts with them.
  if (
    /^\s*\[\s*extensions\b/im.test(config) ||
    /^\s*(worktree|bare\s*=\s*true)\b/im.test(config) ||
    existsSync(join(gitDir, 'commondir'))
  )
    return null
  const top = resolve(cwd)
  return { top, gitDir: join(top, '.git'), commonDir: join(top, '.git'), objectFormat: 'sha1' }
}

/** git-seal's per-clone state directory: named, with everything in it, by state-dir.ts. */
export { stateDir } from './state-dir.js'
