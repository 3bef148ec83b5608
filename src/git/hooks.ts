/**
 * The pre-commit hook: where git looks for it, and installing it without ever overwriting a
 * hook that is there (an existing one is chained: it runs after the guard).
 * With husky (core.hooksPath = .husky/_), the call belongs in the tracked .husky/pre-commit,
 * which `init` edits once; install only checks it.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { isAbsolute, join, relative, sep } from 'node:path'
import { git, gitMaybe } from './run.js'

/** Must equal hooks/pre-commit (a test holds them together). */
export const PRE_COMMIT_SHIM = `#!/bin/sh
# git-seal: refuse commits that would store a secret in plaintext.
# Installed by 'git-seal install' (which chains to a pre-commit hook that was already there);
# 'git-seal uninstall' removes it.
launcher="$(git rev-parse --git-common-dir)/git-seal/git-seal"
if [ -x "$launcher" ]; then
  "$launcher" guard || exit 1
else
  echo "git-seal: error: git-seal is not installed in this clone, so secrets would be committed in plaintext" >&2
  echo "git-seal: hint: run 'npx git-seal install' (or 'git commit --no-verify' if this commit holds no secret)" >&2
  exit 1
fi
chained="$(dirname "$0")/pre-commit.before-git-seal"
if [ -x "$chained" ]; then exec "$chained" "$@"; fi
`

const CHAINED = 'pre-commit.before-git-seal'

/** The line husky users keep in .husky/pre-commit. */
export const HUSKY_LINE =
  'g="$(git rev-parse --git-common-dir)/git-seal/git-seal"; [ -x "$g" ] || { echo "git-seal: error: not installed in this clone; run \'npx git-seal install\'" >&2; exit 1; }; "$g" guard'

export interface HooksLocation {
  dir: string
  /** set when core.hooksPath points into husky's .husky/_ */
  husky: string | null
  /** core.hooksPath points into the work tree: the hooks are the repository's files */
  tracked: boolean
}

export function hooksLocation(root: string): HooksLocation {
  const hooksPath = gitMaybe(['config', 'core.hooksPath'], { cwd: root })
  if (hooksPath) {
    const dir = isAbsolute(hooksPath) ? hooksPath : join(root, hooksPath)
    const husky = /(^|\/)\.husky\/_\/?$/.test(hooksPath) ? join(dir, '..') : null
    const inside = relative(root, dir)
    const tracked = !inside.startsWith('..') && !isAbsolute(inside) && !inside.split(sep).includes('.git')
    return { dir, husky, tracked }
  }
  const dir = git(['rev-parse', '--git-path', 'hooks'], { cwd: root }).trim()
  return { dir: isAbsolute(dir) ? dir : join(root, dir), husky: null, tracked: false }
}

export type HookResult = 'installed' | 'chained' | 'present' | 'husky-ok' | 'husky-missing' | 'tracked-ok' | 'tracked-missing'

export function installHook(root: string): HookResult {
  const where = hooksLocation(root)
  if (where.husky) {
    const file = join(where.husky, 'pre-commit')
    return existsSync(file) && readFileSync(file, 'utf8').includes(HUSKY_LINE) ? 'husky-ok' : 'husky-missing'
  }
  if (where.tracked) {
    // Hooks kept in the repository (core.hooksPath = .githooks…): editing them would leave
    // the clone with a modified tracked file; say what to add instead.
    const file = join(where.dir, 'pre-commit')
    return existsSync(file) && readFileSync(file, 'utf8').includes('git-seal/git-seal') ? 'tracked-ok' : 'tracked-missing'
  }
  mkdirSync(where.dir, { recursive: true })
  const file = join(where.dir, 'pre-commit')
  let result: HookResult = 'installed'
  if (existsSync(file)) {
    const current = readFileSync(file, 'utf8')
    if (current === PRE_COMMIT_SHIM) return 'present'
    if (current.includes('git-seal: refuse commits')) {
      writeFileSync(file, PRE_COMMIT_SHIM) // an older shim of ours: upgrade it
      return 'present'
    }
    if (existsSync(join(where.dir, CHAINED))) throw new Error(`both ${file} and ${CHAINED} exist; merge them by hand`)
    renameSync(file, join(where.dir, CHAINED))
    result = 'chained'
  }
  writeFileSync(file, PRE_COMMIT_SHIM, { mode: 0o755 })
  chmodSync(file, 0o755)
  return result
}

/** Adds the guard line to a tracked pre-commit hook (husky's, or core.hooksPath's; init only); true when changed. */
export function addHuskyLine(dir: string): boolean {
  const file = join(dir, 'pre-commit')
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '#!/bin/sh\n'
  if (current.includes(HUSKY_LINE)) return false
  const sep = current.endsWith('\n') ? '' : '\n'
  mkdirSync(dir, { recursive: true })
  writeFileSync(file, `${current}${sep}${HUSKY_LINE}\n`, { mode: 0o755 })
  chmodSync(file, 0o755)
  return true
}

/** Removes our shim and puts a chained hook back. */
export function removeHook(root: string): void {
  const where = hooksLocation(root)
  if (where.husky || where.tracked) return // tracked hooks are the repository's business, not this clone's
  const file = join(where.dir, 'pre-commit')
  if (existsSync(file) && readFileSync(file, 'utf8').includes('git-seal: refuse commits')) {
    rmSync(file)
    if (existsSync(join(where.dir, CHAINED))) renameSync(join(where.dir, CHAINED), file)
  }
}
