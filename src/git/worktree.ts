/**
 * Work-tree operations on secret files, done through git so its index stays consistent.
 *
 * Reading a secret path never follows a symbolic link, neither the file itself nor a directory
 * on the way to it, and reads only regular files: a link to /dev/zero, to a FIFO or to a file
 * outside the repository is "not the stored bytes", and is never read, removed through, or
 * overwritten through. git itself does the same (it lstat()s, and refuses to write beyond a
 * symlinked directory).
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { checkAttr, filteredPaths } from './attributes.js'
import { isSealFilter } from './install-table.js'
import { GITLINK_MODE, SYMLINK_MODE, lsFilesStage, type IndexEntry } from './plumbing.js'
import { blobId } from './objects.js'
import { gitBytes } from './run.js'

/**
 * Index entries (stage 0) of files git filters through git-seal. Submodules and symbolic links
 * are left out: git never runs a filter on them. `plaintextWorktree`: only those checked out
 * decrypted (not `worktree: ciphertext` ones, which stay ciphertext whatever the key).
 */
export function secretEntries(root: string, options: { plaintextWorktree?: boolean } = {}): IndexEntry[] {
  const entries = lsFilesStage(root).filter((e) => e.stage === 0 && e.mode !== GITLINK_MODE && e.mode !== SYMLINK_MODE)
  const filtered = filteredPaths(root, entries, false, options.plaintextWorktree === true)
  return entries.filter((e) => filtered.has(e.path))
}

// O_NOFOLLOW and O_NONBLOCK are missing on Windows: lstat() below covers the first there.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0)

/**
 * Reads work-tree files of one repository without following symbolic links. Directories
 * already checked are remembered, so many files in one folder cost one lstat() each.
 */
export class WorktreeReader {
  private readonly realDirs = new Map<string, boolean>()

  constructor(readonly root: string) {}

  /** True when every directory from the top of the work tree down to `path` is a real directory. */
  private parentIsReal(path: string): boolean {
    const dir = dirname(path)
    if (dir === '.' || dir === '') return true
    const known = this.realDirs.get(dir)
    if (known !== undefined) return known
    let real = this.parentIsReal(dir)
    if (real) {
      try {
        real = lstatSync(join(this.root, dir)).isDirectory()
      } catch {
        real = false // missing: nothing under it to read
      }
    }
    this.realDirs.set(dir, real)
    return real
  }

  /**
   * Whether a path may be removed and written by a checkout: no symbolic link on the way to it
   * (removing "secrets/a.txt" through a linked "secrets" would remove a file elsewhere).
   */
  isReachable(path: string): boolean {
    return this.parentIsReal(path)
  }

  /**
   * The bytes of a regular file at `path` (relative to the top), or null when there is none, it
   * is a symbolic link, a FIFO, a device or a directory, or a directory on the way is a link.
   * Never blocks and never follows a link.
   */
  read(path: string): Buffer | null {
    if (!this.parentIsReal(path)) return null
    const file = join(this.root, path)
    let fd: number
    try {
      if (constants.O_NOFOLLOW === undefined && lstatSync(file).isSymbolicLink()) return null
      fd = openSync(file, OPEN_FLAGS)
    } catch {
      return null // missing, unreadable, or a link (ELOOP with O_NOFOLLOW)
    }
    try {
      const st = fstatSync(fd)
      if (!st.isFile()) return null
      const chunks: Buffer[] = []
      let total = 0
      // A regular file ends; read to EOF rather than trust st.size (it may be growing).
      for (;;) {
        const buf = Buffer.allocUnsafe(Math.max(64 * 1024, Math.min(st.size - total + 1, 64 << 20)))
        const n = readSync(fd, buf, 0, buf.length, null)
        if (n <= 0) break
        chunks.push(n === buf.length ? buf : buf.subarray(0, n))
        total += n
      }
      return Buffer.concat(chunks, total)
    } catch {
      return null // EAGAIN on something that is not a regular file after all, or EIO
    } finally {
      closeSync(fd)
    }
  }
}

/**
 * Secret files whose work-tree bytes are exactly the stored blob: still ciphertext as checked
 * out without a key (or locked). Locally edited files never qualify, so they are never
 * overwritten; neither do symbolic links, which are never followed.
 */
export function filesHoldingStoredBytes(
  root: string,
  entries: IndexEntry[],
  reader = new WorktreeReader(root),
): IndexEntry[] {
  return entries.filter((e) => {
    const bytes = reader.read(e.path)
    return bytes !== null && blobId(bytes, e.oid.length === 64 ? 'sha256' : 'sha1') === e.oid
  })
}

export interface CheckoutOptions {
  /** `-c key=value` pairs put before the git command (a filter of the running build, for uninstall) */
  config?: string[]
  /**
   * Check out with `git checkout` rather than `checkout-index`: only the former offers the
   * filter git's `delay` capability, which lets a plugin key open every file in one session
   * (seal/plugin-batch.ts). Hooks are off for it, as checkout-index runs none.
   */
  delayed?: boolean
}

/**
 * Checks files out again through the filter. git judges "modified" by stat without running
 * clean, so this is the only way to replace a work-tree file and keep `git status` clean.
 * Paths under a symbolically linked directory are skipped (git would refuse them anyway).
 * @returns the paths checked out.
 * @throws {GitError} when git checkout-index (or checkout) fails.
 */
export function checkoutAgain(root: string, paths: string[], options: CheckoutOptions = {}): string[] {
  const reader = new WorktreeReader(root)
  const reachable = paths.filter((p) => reader.isReachable(p))
  if (reachable.length === 0) return reachable
  // checkout-index skips a stat-clean file even with -f: remove it first. Callers only pass
  // files whose content git already has (the stored blob), or that the user agreed to discard
  // (lock --force). rm of a symbolic link removes the link, never its target.
  for (const path of reachable) rmSync(join(root, path), { force: true })
  const input = reachable.join('\0') + '\0'
  if (options.delayed)
    gitBytes(
      [
        ...configArgs(options.config),
        '-c',
        'core.hooksPath=/dev/null',
        '--literal-pathspecs',
        'checkout',
        '--pathspec-from-file=-',
        '--pathspec-file-nul',
      ],
      { cwd: root, input },
    )
  else gitBytes([...configArgs(options.config), 'checkout-index', '-f', '-u', '-z', '--stdin'], { cwd: root, input })
  return reachable
}

function configArgs(config: string[] = []): string[] {
  return config.flatMap((c) => ['-c', c])
}

/**
 * Secret paths whose work tree differs from the index (edited, deleted, replaced by a link,
 * or unmerged), and secret files git does not track yet (ignored ones left out: `add -A` and
 * `stash -u` skip them too). Runs clean on files that look touched.
 * @throws {GitError} when git fails (a filter that cannot start, with required=true).
 */
export function uncommittedSecrets(
  root: string,
  options: CheckoutOptions = {},
): { changed: string[]; untracked: string[] } {
  const names = (args: string[]): string[] =>
    gitBytes([...configArgs(options.config), ...args], { cwd: root })
      .toString('utf8')
      .split('\0')
      .filter(Boolean)
  const changed = names(['diff', '--name-only', '-z', '--no-renames'])
  const untracked = names(['ls-files', '-z', '--others', '--exclude-standard'])
  const filters = checkAttr(root, 'filter', [...new Set([...changed, ...untracked])])
  const secret = (p: string): boolean => isSealFilter(filters.get(p))
  return { changed: changed.filter(secret), untracked: untracked.filter(secret) }
}
