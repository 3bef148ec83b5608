/**
 * The git config git-seal owns in a clone, as one table: install writes every row (upgrading
 * old values), uninstall removes every row, status compares. Nothing else touches git config.
 */

/**
 * How git finds the launcher: through the clone's common git dir, evaluated by the shell git
 * runs drivers with. The clone can move, linked worktrees share it, and nothing depends on
 * node_modules, an npx cache or PATH.
 */
export const LAUNCHER = '"$(git rev-parse --git-common-dir)/git-seal/git-seal"'

/**
 * The same for textconv, which git starts once per file side: git runs drivers at the top of
 * the work tree, where a main worktree's `.git/git-seal/git-seal` is found without starting
 * `git rev-parse`; linked worktrees and submodules (`.git` is a file there) fall back to it.
 */
export const TEXTCONV_LAUNCHER = 'l=.git/git-seal/git-seal; [ -x "$l" ] || l="$(git rev-parse --git-common-dir)/git-seal/git-seal"; "$l"'

export interface ConfigRow {
  key: string
  value: string
  /** why this row exists */
  why: string
}

export const CONFIG_TABLE: readonly ConfigRow[] = [
  { key: 'filter.git-seal.process', value: `${LAUNCHER} filter-process`, why: 'one long-running filter per git command' },
  { key: 'filter.git-seal.clean', value: `${LAUNCHER} clean %f`, why: 'one-shot fallback' },
  { key: 'filter.git-seal.smudge', value: `${LAUNCHER} smudge %f`, why: 'one-shot fallback' },
  // With required=false git silently stages plaintext when the filter fails.
  { key: 'filter.git-seal.required', value: 'true', why: 'a failing clean must fail git add' },
  { key: 'diff.git-seal.textconv', value: `${TEXTCONV_LAUNCHER} textconv`, why: 'readable git diff / git log -p' },
  { key: 'merge.git-seal.name', value: 'git-seal: merge the decrypted text', why: 'shown by git' },
  { key: 'merge.git-seal.driver', value: `${LAUNCHER} merge %O %A %B %L %P`, why: 'merges as plaintext, stores ciphertext' },
]

/** Config sections that exist only because of git-seal, removed whole by uninstall. */
export const CONFIG_SECTIONS = ['filter.git-seal', 'diff.git-seal', 'merge.git-seal'] as const

/** Keys that must never be set: git would store decrypted text under refs/notes/textconv. */
export const FORBIDDEN_KEYS = ['diff.git-seal.cachetextconv'] as const
