/**
 * The errors git-seal means to show, and the exit statuses they end in. A leaf module: every
 * layer may throw these (config/, git/ and keys/ among them) without depending on ui.ts, which
 * prints them.
 *
 * Exit statuses (README "Exit status"):
 * - 0: done.
 * - 1: a problem found (status, verify, guard) or a failure the user can act on: a typed error
 *   below, an error of the age or sops layer about a file, git failing, a file the system refused.
 * - 2: the command line was wrong ({@link UsageError}).
 * - 70: anything else, which is a bug in git-seal (EX_SOFTWARE of sysexits.h).
 */

/** What a caller (or a test) may branch on; the message is for people and may change. */
export type ErrorCode =
  /** the command line was wrong */
  | 'usage'
  /** a user situation without a more specific code */
  | 'user'
  /** .gitseal.yaml (or the staged one) is invalid */
  | 'config'
  /** the current directory is in no git repository */
  | 'not-a-repository'
  /** the command needs a work tree and the repository is bare */
  | 'bare-repository'

/** The exit statuses git-seal ends with. */
export const EXIT = { ok: 0, problem: 1, usage: 2, internal: 70 } as const

/**
 * An error whose message is meant for the user; `hint` says what to do about it, `code` is
 * stable. Its message is lowercase and names files and keys, never secret values.
 */
export class UserError extends Error {
  readonly hint: string | undefined
  readonly code: ErrorCode
  constructor(message: string, hint?: string, code: ErrorCode = 'user') {
    super(message)
    this.name = 'UserError'
    this.hint = hint
    this.code = code
  }
}

/**
 * The command line was wrong: exit 2. Without a hint of its own, the command line prints
 * "run 'git-seal CMD --help'".
 */
export class UsageError extends UserError {
  constructor(message: string, hint?: string) {
    super(message, hint, 'usage')
    this.name = 'UsageError'
  }
}

/** The one way to say that a command needs a work tree. */
export function bareRepositoryError(): UserError {
  return new UserError(
    'git-seal needs a work tree; this repository is bare',
    'run it in a clone with a work tree (a bare repository has only history: use verify there)',
    'bare-repository',
  )
}

/**
 * Errors of the lower layers that describe the world, not a bug: a damaged or foreign file
 * (AgeError, SopsError, NoSopsKeyError), git failing (GitError), git's filter protocol broken
 * by the peer (PktLineError). Known by name, so that deciding an exit status loads none of
 * their modules; src/age and src/formats stay free of imports from here.
 */
const FAILURE_NAMES: ReadonlySet<string> = new Set([
  'AgeError',
  'SopsError',
  'NoSopsKeyError',
  'GitError',
  'PktLineError',
])

/**
 * Node's errors about the system (a missing file, a refused permission, a full disk) carry an
 * errno and the system call that failed; those are the user's situation, not a bug.
 */
function isSystemError(e: Error): boolean {
  const errno = e as NodeJS.ErrnoException
  return typeof errno.code === 'string' && typeof errno.syscall === 'string'
}

/**
 * The exit status a thrown value ends the process with: 2 for a usage error, 1 for any typed
 * user error or failure of the world, 70 (an internal bug) for everything else.
 */
export function exitStatusOf(e: unknown): number {
  if (e instanceof UsageError) return EXIT.usage
  if (e instanceof UserError) return EXIT.problem
  if (isExpectedFailure(e)) return EXIT.problem
  return EXIT.internal
}

/** True for errors that describe the user's situation rather than a bug in git-seal. */
export function isExpectedFailure(e: unknown): boolean {
  if (e instanceof UserError) return true
  if (!(e instanceof Error)) return false
  // Errors of layers that cannot import this module say what to do in a `hint` of their own.
  const hinted = typeof (e as { hint?: unknown }).hint === 'string'
  return hinted || FAILURE_NAMES.has(e.name) || isSystemError(e)
}
