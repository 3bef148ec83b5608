import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { STATE_FILES } from './state-dir.js'

/**
 * The guard's pre-check in POSIX sh: most commits stage no secret, and starting Node for them
 * costs 10-30 times the commit. The launcher (install.ts) runs this check for `guard` and exits
 * without Node only when all three hold; anything else, or any doubt, runs the full guard:
 *
 * (a) no staged path has a git-seal filter (`filter=git-seal*`, the ciphertext work tree's
 *     driver included) by `git check-attr --cached`, nor matches a secret rule of the config,
 *     by the rules the last passing full guard wrote into the stamp (an attributes file, so
 *     git's own matcher applies the patterns, and no override of `filter` hides a secret);
 * (b) no staged path (added, modified, deleted, renamed) is a `.gitattributes` at any depth, a
 *     `.gitseal.yaml` or a `.sops.yaml`;
 * (c) what the full guard's verdict rests on is what it was when it last passed: the index's
 *     `.gitseal.yaml` and its `.gitattributes` files (every depth: they decide whether git
 *     rewrites a secret's ciphertext), `.git/info/attributes`, the global attributes file and
 *     `core.autocrlf`, hashed into the stamp's first line ({@link GUARD_STATE_FUNCTIONS}).
 *
 * The stamp is written by the full guard after it passed (src/seal/guard-stamp.ts) and removed
 * by install (a new version may check more). The Node guard computes the state hash by running
 * the same sh functions, so the two cannot disagree on what it covers. Every git command here
 * reads the index git is committing: GIT_INDEX_FILE (commit -a, commit PATH) is inherited.
 *
 * Paths and attribute values stay NUL-separated (-z) from diff-index through check-attr to
 * `grep -z`, so each is searched as the whole record it is, spaces and newlines included. A
 * grep without -z (not POSIX) exits 2, which runs the full guard: slower, never weaker.
 *
 * What the quick path does not redo: the full guard's check of secrets already in the index
 * that this commit does not change (their blobs were checked when they were staged).
 */

/** The stamp's file name in git-seal's state directory (the common git dir's `git-seal/`). */
export const GUARD_STAMP_NAME = STATE_FILES.guardStamp

/** The attribute the stamp's rules set on paths a secret rule matches, and its value. */
export const RULE_ATTRIBUTE = 'gitseal-secret'
export const RULE_VALUE = 'git-seal-rule'

/** The stamp's first line, the format version and the state hash; what the pre-check compares. */
export function stampHeader(stateHash: string): string {
  return `# git-seal guard stamp v1 ${stateHash}`
}

/**
 * Records of check-attr's -z output that send a commit to the full guard: a git-seal filter or
 * rule value (the attribute names, `filter` and {@link RULE_ATTRIBUTE}, never match), or a
 * configuration file's path.
 */
export const FULL_GUARD_LINES = '^git-seal(-.*)?$|(^|/)(\\.gitattributes|\\.gitseal\\.yaml|\\.sops\\.yaml)$'

/**
 * sh functions shared by the launcher's pre-check and the Node guard (which runs them to write
 * the stamp). Need `$dir`, git-seal's state directory (`<common git dir>/git-seal`).
 * - `guard_config` sets `$cfg` (core.autocrlf and core.attributesFile) and `$global`, the
 *   global attributes file as git finds it (core.attributesFile, else
 *   $XDG_CONFIG_HOME/git/attributes, else ~/.config/git/attributes);
 * - `guard_state` prints what (c) covers, piped into `git hash-object --stdin`: the index
 *   entries, the config, and the attribute files' checksums and sizes (not their names: the
 *   launcher and Node may spell the state directory differently). A step that fails prints
 *   `failed` and the shell's pid, which no later run reproduces: the hash then matches no stamp.
 *   A file that is not a regular one (a FIFO, a link to a device) is never read.
 */
export const GUARD_STATE_FUNCTIONS = `guard_config() {
  cfg=$(git config --path --get-regexp '^core\\.(autocrlf|attributesfile)$')
  global=
  while IFS=' ' read -r key value; do [ "$key" = core.attributesfile ] && global=$value; done <<EOF
$cfg
EOF
  [ -n "$global" ] || global="\${XDG_CONFIG_HOME:-$HOME/.config}/git/attributes"
}
guard_state() {
  (unset GIT_LITERAL_PATHSPECS GIT_GLOB_PATHSPECS GIT_NOGLOB_PATHSPECS GIT_ICASE_PATHSPECS
    exec git ls-files -s -z -- ':(literal).gitseal.yaml' ':(glob)**/.gitattributes') || echo "failed $$"
  printf '\\0%s\\0' "$cfg"
  for f in "$dir/../info/attributes" "$global"; do
    if [ -f "$f" ]; then cksum < "$f" || echo "failed $$"; elif [ -e "$f" ]; then echo "failed $$"; else echo absent; fi
  done
}`

/**
 * The sh function `guard_quick`: status 0 when the commit may go on without the full guard.
 * A failing diff-index or check-attr adds a line that matches (so it cannot pass for "nothing
 * staged"); only grep's "no match" (1) lets the commit through.
 */
export const GUARD_QUICK_FUNCTION = `${GUARD_STATE_FUNCTIONS}
guard_quick() {
  stamp="$dir/${GUARD_STAMP_NAME}"
  case $stamp in /*) ;; *) stamp="$PWD/$stamp" ;; esac
  [ -f "$stamp" ] && IFS= read -r line < "$stamp" || return 1
  guard_config
  state=$(guard_state | git hash-object --stdin) || return 1
  [ "$line" = "# git-seal guard stamp v1 $state" ] || return 1
  { git diff-index --cached --name-only -z HEAD -- || printf '.gitseal.yaml\\0'; } |
    { git -c core.attributesFile="$stamp" check-attr --stdin -z --cached filter ${RULE_ATTRIBUTE} || printf 'git-seal\\0'; } |
    LC_ALL=C grep -zEq '${FULL_GUARD_LINES}'
  [ $? -eq 1 ]
}`

/**
 * What the Node guard runs (in sh, at the top of the work tree, `$1` the state directory) to
 * write the stamp: the state hash on the first line, then the global attributes file's text,
 * which the stamp carries (check-attr reads the stamp in its place, so one check-attr sees the
 * user's attributes and the rules together).
 */
export const GUARD_STAMP_INPUT_SCRIPT = `dir=$1
${GUARD_STATE_FUNCTIONS}
guard_config
guard_state | git hash-object --stdin || exit 1
[ -f "$global" ] && cat -- "$global"
exit 0`

/** What the stamp records besides the rules. */
export interface GuardStampInput {
  stateHash: string
  /** the global attributes file's text ('' when there is none) */
  globalAttributes: string
}

/**
 * Runs {@link GUARD_STAMP_INPUT_SCRIPT} for the full guard, before it judges anything (so a
 * change made while it runs shows as a different state next time, never the reverse).
 * @returns null when git-seal's state directory does not exist or the script fails.
 */
export function guardStampInput(
  root: string,
  stateDir: string,
  env: NodeJS.ProcessEnv = process.env,
): GuardStampInput | null {
  if (!existsSync(stateDir)) return null
  const r = spawnSync('/bin/sh', ['-c', GUARD_STAMP_INPUT_SCRIPT, 'sh', stateDir], {
    cwd: root,
    env,
    maxBuffer: 1 << 26,
  })
  if (r.status !== 0 || !r.stdout) return null
  const out = r.stdout.toString('utf8')
  const newline = out.indexOf('\n')
  const stateHash = out.slice(0, newline)
  if (newline < 0 || !/^[0-9a-f]{40,64}$/.test(stateHash)) return null
  return { stateHash, globalAttributes: out.slice(newline + 1) }
}
