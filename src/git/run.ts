/**
 * Running git: spawned directly everywhere, batched on hot paths (one cat-file, one check-attr).
 * No wrapper library: simple-git refuses filter/hooks config and drops GIT_INDEX_FILE, both of
 * which git-seal needs, and a direct spawn is all the other commands want.
 */
import { spawnSync } from 'node:child_process'

/** git exited non-zero; `stderr` holds what it said. */
export class GitError extends Error {
  override name = 'GitError'
  constructor(
    readonly args: string[],
    readonly status: number | null,
    readonly stderr: string,
  ) {
    super(
      `git ${args[0] ?? ''} failed${status === null ? '' : ` (exit ${status})`}: ${stderr.trim().split('\n')[0] ?? ''}`,
    )
  }
}

export interface GitOptions {
  cwd?: string
  input?: string | Uint8Array
  env?: NodeJS.ProcessEnv
  /** exit codes that are answers, not failures (e.g. 1 for `git diff --quiet`) */
  okStatus?: number[]
}

/**
 * Runs git synchronously and returns its stdout as bytes.
 * @throws {GitError} when git exits with a status not listed in okStatus.
 */
export function gitBytes(args: string[], options: GitOptions = {}): Buffer {
  const result = spawnSync('git', args, {
    cwd: options.cwd,
    input: options.input,
    env: options.env ?? process.env,
    maxBuffer: 1 << 30,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  if (result.error) throw result.error
  const ok = result.status === 0 || (result.status !== null && (options.okStatus ?? []).includes(result.status))
  if (!ok) throw new GitError(args, result.status, result.stderr.toString('utf8'))
  return result.stdout
}

/** {@link gitBytes} decoded as UTF-8. */
export function git(args: string[], options: GitOptions = {}): string {
  return gitBytes(args, options).toString('utf8')
}

/** {@link git} with the trailing newline removed; null when git exits non-zero. */
export function gitMaybe(args: string[], options: GitOptions = {}): string | null {
  return gitMaybeBytes(args, options)?.toString('utf8').replace(/\n$/, '') ?? null
}

/** The bytes of a blob as text (`:path` for the index, `REV:path`), or null when there is none. */
export function gitBlobText(spec: string, options: GitOptions = {}): string | null {
  return gitMaybeBytes(['cat-file', 'blob', spec], options)?.toString('utf8') ?? null
}

/** {@link gitBytes}, or null when git exits non-zero. */
export function gitMaybeBytes(args: string[], options: GitOptions = {}): Buffer | null {
  try {
    return gitBytes(args, options)
  } catch (e) {
    if (e instanceof GitError) return null
    throw e
  }
}
