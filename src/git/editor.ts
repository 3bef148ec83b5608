/**
 * The editor git would open, launched the way git launches it, and blobs of other revisions:
 * what `git-seal edit` and `git-seal show --rev` ask git for.
 * https://git-scm.com/docs/git-var#Documentation/git-var.txt-GITEDITOR
 */
import { spawn } from 'node:child_process'
import { GitError, gitBytes, gitMaybeBytes } from './run.js'
import { UserError } from '../errors.js'

/** The value `git var` printed: one line, its newline removed. */
export function parseGitVar(out: string): string {
  return out.replace(/\r?\n$/, '')
}

/**
 * `git var GIT_EDITOR`: the command git runs to edit a file (`GIT_EDITOR`, then `core.editor`,
 * `VISUAL`, `EDITOR`, then git's built-in default), a shell command line.
 * @throws {UserError} when git names no editor (no variable set and a dumb terminal).
 */
export function gitEditor(root: string, env: NodeJS.ProcessEnv = process.env): string {
  let out: Buffer
  try {
    out = gitBytes(['var', 'GIT_EDITOR'], { cwd: root, env })
  } catch (e) {
    if (!(e instanceof GitError)) throw e
    throw new UserError(
      `git names no editor (${e.stderr.trim().split('\n')[0] ?? 'git var GIT_EDITOR failed'})`,
      "set one: 'git config --global core.editor nano', or GIT_EDITOR / VISUAL / EDITOR",
    )
  }
  const editor = parseGitVar(out.toString('utf8'))
  if (editor === '')
    throw new UserError(
      'git names no editor',
      "set one: 'git config --global core.editor nano', or GIT_EDITOR / VISUAL / EDITOR",
    )
  return editor
}

/** How an editor ended: its exit status, or the signal that killed it. */
export type EditorExit = { code: number; signal: null } | { code: null; signal: NodeJS.Signals }

/**
 * Runs an editor command on a file as git does (run-command.c, prepare_shell_cmd): through
 * `sh -c '<editor> "$@"'`, so an editor given with arguments (`code --wait`) or quoting works,
 * and the file name is one argument whatever it holds. The editor `:` does nothing, as in git.
 * Terminal in and out are the editor's. Resolves when the editor exits.
 */
export function launchEditor(
  editor: string,
  file: string,
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<EditorExit> {
  if (editor === ':') return Promise.resolve({ code: 0, signal: null })
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', `${editor} "$@"`, editor, file], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: 'inherit',
    })
    child.once('error', reject)
    child.once('exit', (code, signal) => resolve(signal ? { code: null, signal } : { code: code ?? 1, signal: null }))
  })
}

/** What {@link blobAtRevision} found. */
export type BlobAtRevision = { blob: Buffer } | { missing: 'revision' | 'path' }

/**
 * The bytes git stores for `path` (relative to the top) at revision `rev` (`git cat-file blob
 * REV:PATH`), unfiltered: ciphertext for a secret.
 * @returns the blob, or which of the two does not exist.
 * @throws {UserError} for a revision starting with '-' (git would read it as an option).
 */
export function blobAtRevision(
  root: string,
  rev: string,
  path: string,
  env: NodeJS.ProcessEnv = process.env,
): BlobAtRevision {
  if (rev.startsWith('-') || rev === '')
    throw new UserError(`not a revision: ${JSON.stringify(rev)}`, 'name a commit: a branch, a tag, HEAD~2, a commit id')
  const blob = gitMaybeBytes(['cat-file', 'blob', `${rev}:${path}`], { cwd: root, env })
  if (blob !== null) return { blob }
  // Why not: a revision that does not name a tree, or a path that is not a file in it.
  const tree = gitMaybeBytes(['rev-parse', '--verify', '--quiet', `${rev}^{tree}`], { cwd: root, env })
  return { missing: tree === null ? 'revision' : 'path' }
}
