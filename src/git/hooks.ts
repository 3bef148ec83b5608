/**
 * The guard hooks: where git looks for them, and installing them without ever overwriting a
 * hook that is there (an existing one is chained: it runs after the guard).
 *
 * git runs a hook before each command that makes a commit from the index: pre-commit
 * (`git commit`), pre-merge-commit (`git merge` when it records a merge) and pre-applypatch
 * (`git am`). The same shim serves all three. cherry-pick, revert, rebase and stash run no hook
 * at all: clean and the merge driver protect them, and `git-seal verify` is the backstop.
 *
 * Where the hooks live decides who may edit them:
 * - inside the git dir (`.git/hooks`, the default): this clone's, so install writes the shim;
 * - inside the work tree (`core.hooksPath = .githooks`, husky's `.husky/_`): the repository's
 *   tracked files, which `init` edits once and install only checks;
 * - anywhere else (`core.hooksPath = ~/.githooks`): shared with other repositories, where a
 *   shim would refuse every commit; install only checks and says what to add.
 */
import {
  chmodSync,
  closeSync,
  constants,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'
import { UserError } from '../errors.js'
import { git, gitMaybe } from './run.js'
import { GUARD_QUICK_FUNCTION } from './guard-precheck.js'

/** The hooks git runs before a command makes a commit, in the order of the commands' popularity. */
export const GUARDED_HOOKS = ['pre-commit', 'pre-merge-commit', 'pre-applypatch'] as const
export type GuardedHook = (typeof GUARDED_HOOKS)[number]

/** Marks a hook file as our shim (any version of it). */
const SHIM_MARK = 'git-seal: refuse commits'

/**
 * Must equal each file in hooks/ (a test holds them together). `$0` is the hook's own path, so
 * one script chains to `pre-commit.before-git-seal`, `pre-merge-commit.before-git-seal`…
 */
export const HOOK_SHIM = `#!/bin/sh
# git-seal: refuse commits that would store a secret in plaintext.
# One script for pre-commit (git commit), pre-merge-commit (git merge) and pre-applypatch (git am).
# Installed by 'git-seal install' (which chains to a hook that was already there);
# 'git-seal uninstall' removes it.
# git runs hooks at the top of the work tree: a main worktree's launcher is found there without
# starting git; linked worktrees and submodules (.git is a file) ask git for the common dir.
# A commit that stages no secret goes on without starting Node: the pre-check below, the same
# as the launcher's (src/git/guard-precheck.ts); anything else runs the full guard.
launcher=.git/git-seal/git-seal
if [ -n "\${GIT_DIR:-}\${GIT_COMMON_DIR:-}" ] || [ ! -x "$launcher" ]; then
  launcher="$(git rev-parse --git-common-dir)/git-seal/git-seal"
fi
if [ -x "$launcher" ]; then
  dir=\${launcher%/*}
${GUARD_QUICK_FUNCTION}
  guard_quick || GIT_SEAL_PRECHECKED=1 "$launcher" guard || exit 1
else
  echo "git-seal: error: git-seal is not installed in this clone, so secrets would be committed in plaintext" >&2
  echo "git-seal: hint: run 'npx git-seal install' (or add --no-verify if this commit holds no secret)" >&2
  exit 1
fi
chained="$0.before-git-seal"
if [ -x "$chained" ]; then exec "$chained" "$@"; fi
`

const chainedName = (hook: GuardedHook): string => `${hook}.before-git-seal`

/** The line kept in tracked hooks (husky's .husky/<hook>, or core.hooksPath's files). */
export const HUSKY_LINE =
  'g="$(git rev-parse --git-common-dir)/git-seal/git-seal"; [ -x "$g" ] || { echo "git-seal: error: not installed in this clone; run \'npx git-seal install\'" >&2; exit 1; }; "$g" guard'

export interface HooksLocation {
  dir: string
  /** set when core.hooksPath points into husky's .husky/_: the directory of the tracked hooks */
  husky: string | null
  /** core.hooksPath points into the work tree: the hooks are the repository's files */
  tracked: boolean
  /** core.hooksPath points outside both the work tree and the git dir: other repositories use them too */
  shared: boolean
}

function inside(parent: string, child: string): boolean {
  const rel = relative(parent, child)
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
}

/** Where git runs this clone's hooks from, and whose files they are. */
export function hooksLocation(root: string): HooksLocation {
  const gitDir = resolve(root, git(['rev-parse', '--git-common-dir'], { cwd: root }).trim())
  const hooksPath = gitMaybe(['config', 'core.hooksPath'], { cwd: root })
  if (hooksPath) {
    const dir = resolve(root, hooksPath.replace(/^~(?=$|\/)/, process.env['HOME'] ?? '~'))
    const husky = /(^|\/)\.husky\/_\/?$/.test(hooksPath) ? join(dir, '..') : null
    const inGitDir = inside(gitDir, dir)
    const tracked = !inGitDir && inside(root, dir) && !relative(root, dir).split(sep).includes('.git')
    return { dir, husky, tracked, shared: !inGitDir && !tracked && !husky }
  }
  const dir = git(['rev-parse', '--git-path', 'hooks'], { cwd: root }).trim()
  return { dir: resolve(root, dir), husky: null, tracked: false, shared: false }
}

/** What install found or did for one hook. */
export type HookResult =
  | 'installed'
  | 'chained'
  | 'present'
  | 'husky-ok'
  | 'husky-missing'
  | 'tracked-ok'
  | 'tracked-missing'
  | 'shared-ok'
  | 'shared-missing'

const HOOK_READ_LIMIT = 1 << 20

/**
 * A hook's text, or null when there is none. Hooks may be symlinks (a shared script), so links
 * are followed, but only to a regular file and only its first MiB: a tracked hook that is a link
 * to /dev/zero or a FIFO must not hang install.
 */
export function readHook(file: string): string | null {
  let fd: number
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0))
  } catch {
    return null // missing (or unreadable: treated as missing, and never overwritten below)
  }
  try {
    if (!fstatSync(fd).isFile()) return null
    const buf = Buffer.alloc(HOOK_READ_LIMIT)
    let size = 0
    while (size < buf.length) {
      const n = readSync(fd, buf, size, buf.length - size, null)
      if (n <= 0) break
      size += n
    }
    return buf.subarray(0, size).toString('utf8')
  } finally {
    closeSync(fd)
  }
}

/** Whether a tracked hook file runs the guard. */
function runsGuard(file: string, husky: boolean): boolean {
  const text = readHook(file)
  return text?.includes(husky ? HUSKY_LINE : 'git-seal/git-seal') === true
}

/** The state of each guarded hook, without changing anything (install's check, and status's). */
export function hookStatus(root: string): Record<GuardedHook, HookResult> {
  const where = hooksLocation(root)
  const out = {} as Record<GuardedHook, HookResult>
  for (const hook of GUARDED_HOOKS) {
    if (where.husky) out[hook] = runsGuard(join(where.husky, hook), true) ? 'husky-ok' : 'husky-missing'
    else if (where.tracked) out[hook] = runsGuard(join(where.dir, hook), false) ? 'tracked-ok' : 'tracked-missing'
    else if (where.shared) out[hook] = runsGuard(join(where.dir, hook), false) ? 'shared-ok' : 'shared-missing'
    else out[hook] = readHook(join(where.dir, hook)) === HOOK_SHIM ? 'present' : 'installed'
  }
  return out
}

/**
 * Installs the shim as each guarded hook of this clone, chaining to a hook that was there; only
 * checks hooks that are the repository's or shared with other repositories.
 * @throws {UserError} when both a foreign hook and its chained copy exist (they must be merged by hand).
 */
export function installHooks(root: string): Record<GuardedHook, HookResult> {
  const where = hooksLocation(root)
  if (where.husky || where.tracked || where.shared) return hookStatus(root)
  mkdirSync(where.dir, { recursive: true })
  const out = {} as Record<GuardedHook, HookResult>
  for (const hook of GUARDED_HOOKS) out[hook] = installHook(where.dir, hook)
  return out
}

function installHook(dir: string, hook: GuardedHook): HookResult {
  const file = join(dir, hook)
  let result: HookResult = 'installed'
  const current = readHook(file)
  if (current !== null || existsSync(file)) {
    if (current === HOOK_SHIM) return 'present'
    if (current?.includes(SHIM_MARK)) {
      writeFileSync(file, HOOK_SHIM) // an older shim of ours: upgrade it
      return 'present'
    }
    const chained = join(dir, chainedName(hook))
    if (existsSync(chained)) {
      throw new UserError(
        `both ${file} and ${chainedName(hook)} exist; merge them by hand`,
        `keep one hook that runs both, remove ${chainedName(hook)}, then run 'git-seal install' again`,
      )
    }
    renameSync(file, chained)
    result = 'chained'
  }
  writeFileSync(file, HOOK_SHIM, { mode: 0o755 })
  chmodSync(file, 0o755)
  return result
}

/**
 * Adds the guard line to each tracked guarded hook (husky's, or core.hooksPath's; init only),
 * creating the ones that do not exist.
 * @returns the files changed.
 */
export function addHuskyLine(dir: string): string[] {
  const changed: string[] = []
  mkdirSync(dir, { recursive: true })
  for (const hook of GUARDED_HOOKS) {
    const file = join(dir, hook)
    const current = readHook(file) ?? '#!/bin/sh\n'
    if (current.includes(HUSKY_LINE)) continue
    const sep = current.endsWith('\n') ? '' : '\n'
    writeFileSync(file, `${current}${sep}${HUSKY_LINE}\n`, { mode: 0o755 })
    chmodSync(file, 0o755)
    changed.push(file)
  }
  return changed
}

/** Removes our shims and puts chained hooks back. */
export function removeHooks(root: string): void {
  const where = hooksLocation(root)
  // Tracked and shared hooks are the repository's (or the user's) business, not this clone's.
  if (where.husky || where.tracked || where.shared) return
  for (const hook of GUARDED_HOOKS) {
    const file = join(where.dir, hook)
    if (!readHook(file)?.includes(SHIM_MARK)) continue
    rmSync(file)
    const chained = join(where.dir, chainedName(hook))
    if (existsSync(chained)) renameSync(chained, file)
  }
}
