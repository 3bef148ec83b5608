/**
 * The git config git-seal owns in a clone, as one table: install writes every row (upgrading
 * old values), uninstall removes every row, status compares. Nothing else touches git config.
 */
import { textconvCommand } from './textconv-sh.js'

/** The filter driver of secrets whose work tree holds plaintext (the default). */
export const PLAINTEXT_FILTER = 'git-seal'
/**
 * The filter driver of `worktree: ciphertext` secrets: the same program, told to keep the stored
 * ciphertext on checkout. A name of its own, because git leaves a file unfiltered when its
 * driver is not defined: a clone whose git-seal predates the mode never decrypts these files.
 */
export const CIPHERTEXT_FILTER = 'git-seal-ct'
/** The argument that tells filter-process, clean and smudge they serve {@link CIPHERTEXT_FILTER}. */
export const CIPHERTEXT_ARG = '--worktree=ciphertext'

/** True when a `filter` attribute value is one of git-seal's drivers. */
export function isSealFilter(value: string | undefined): boolean {
  return value === PLAINTEXT_FILTER || value === CIPHERTEXT_FILTER
}

/**
 * How git finds the launcher: through the clone's common git dir, evaluated by the shell git
 * runs drivers with. The clone can move, linked worktrees share it, and nothing depends on
 * node_modules, an npx cache or PATH.
 */
export const LAUNCHER = '"$(git rev-parse --git-common-dir)/git-seal/git-seal"'

/** What `git -c filter.git-seal.required=false` is good for, and what never to use it with. */
export const ESCAPE_HATCH_HINT =
  "meanwhile 'git -c filter.git-seal.required=false <command>' gets checkout, switch, reset, status and diff past it; never use it with add, commit -a or stash: they would store plaintext"

/**
 * A long-running filter that offers git no capability: the stand-in for git-seal when it cannot
 * run. git then treats every file as unfiltered, which it refuses with required=true (the
 * normal state: add, checkout… fail and name the filter) and allows under the escape hatch
 * required=false. Exiting instead would kill git outright ("the remote end hung up
 * unexpectedly"), required or not. Shell builtins only: PATH may be nearly empty here.
 * Replies to the handshake (welcome, version, flush, an empty capability list), then drains
 * what git still sends until it closes the pipe, so git never writes to a closed pipe.
 */
export const NO_FILTER =
  "printf '0016git-filter-server\\n000eversion=2\\n00000000'; while IFS= read -r _; do :; done; exit 0"

/**
 * Sets `$l` to the launcher: git runs drivers at the top of the work tree, where a main
 * worktree's `.git/git-seal/git-seal` is found without starting `git rev-parse`; linked
 * worktrees and submodules (`.git` is a file there), or a git dir named by GIT_DIR, ask git.
 */
export const FIND_LAUNCHER = `l=.git/git-seal/git-seal; { [ -z "\${GIT_DIR:-}\${GIT_COMMON_DIR:-}" ] && [ -x "$l" ]; } || l=${LAUNCHER}`

/** The escape hatch for one driver (the ct driver's names its own `required`). */
function escapeHatchHint(driver: string): string {
  return ESCAPE_HATCH_HINT.replace(`filter.${PLAINTEXT_FILTER}.required`, `filter.${driver}.required`)
}

/** The long-running filter command of a driver: git-seal, or {@link NO_FILTER} with a message when its launcher is gone. */
function processCommand(driver: string, args: string): string {
  return (
    `${FIND_LAUNCHER}; [ -x "$l" ] && exec "$l" filter-process${args}; ` +
    `echo "git-seal: error: $l is missing" >&2; echo "git-seal: hint: run 'npx git-seal install'; ${escapeHatchHint(driver)}" >&2; ` +
    NO_FILTER
  )
}

export const PROCESS_COMMAND = processCommand(PLAINTEXT_FILTER, '')
export const CIPHERTEXT_PROCESS_COMMAND = processCommand(CIPHERTEXT_FILTER, ` ${CIPHERTEXT_ARG}`)

/** The textconv command (git starts it once per file side): see textconv-sh.ts. */
export const TEXTCONV_COMMAND = textconvCommand()

export interface ConfigRow {
  key: string
  value: string
  /** why this row exists */
  why: string
}

export const CONFIG_TABLE: readonly ConfigRow[] = [
  { key: 'filter.git-seal.process', value: PROCESS_COMMAND, why: 'one long-running filter per git command' },
  { key: 'filter.git-seal.clean', value: `${LAUNCHER} clean %f`, why: 'one-shot fallback' },
  { key: 'filter.git-seal.smudge', value: `${LAUNCHER} smudge %f`, why: 'one-shot fallback' },
  // With required=false git silently stages plaintext when the filter fails.
  { key: 'filter.git-seal.required', value: 'true', why: 'a failing clean must fail git add' },
  {
    key: 'filter.git-seal-ct.process',
    value: CIPHERTEXT_PROCESS_COMMAND,
    why: 'worktree: ciphertext secrets: the same filter, keeping ciphertext on checkout',
  },
  { key: 'filter.git-seal-ct.clean', value: `${LAUNCHER} clean ${CIPHERTEXT_ARG} %f`, why: 'one-shot fallback' },
  { key: 'filter.git-seal-ct.smudge', value: `${LAUNCHER} smudge ${CIPHERTEXT_ARG} %f`, why: 'one-shot fallback' },
  { key: 'filter.git-seal-ct.required', value: 'true', why: 'a failing clean must fail git add' },
  { key: 'diff.git-seal.textconv', value: TEXTCONV_COMMAND, why: 'readable git diff / git log -p' },
  { key: 'merge.git-seal.name', value: 'git-seal: merge the decrypted text', why: 'shown by git' },
  {
    key: 'merge.git-seal.driver',
    value: `${LAUNCHER} merge %O %A %B %L %P %S %X %Y`,
    why: 'merges as plaintext, stores ciphertext; %S %X %Y name the sides (git 2.44+)',
  },
]

/** Config sections that exist only because of git-seal, removed whole by uninstall. */
export const CONFIG_SECTIONS = ['filter.git-seal', 'filter.git-seal-ct', 'diff.git-seal', 'merge.git-seal'] as const

/** Keys that must never be set: git would store decrypted text under refs/notes/textconv. */
export const FORBIDDEN_KEYS = ['diff.git-seal.cachetextconv'] as const
