/** Work-tree operations on secret files, done through git so its index stays consistent. */
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { filteredPaths } from './attributes.js'
import { GITLINK_MODE, lsFilesStage, type IndexEntry } from './plumbing.js'
import { blobId } from './objects.js'
import { gitBytes } from './run.js'

/** Index entries (stage 0) of files git filters through git-seal. */
export function secretEntries(root: string): IndexEntry[] {
  const entries = lsFilesStage(root).filter((e) => e.stage === 0 && e.mode !== GITLINK_MODE)
  const filtered = filteredPaths(root, entries)
  return entries.filter((e) => filtered.has(e.path))
}

/**
 * Secret files whose work-tree bytes are exactly the stored blob: still ciphertext as checked
 * out without a key (or locked). Locally edited files never qualify, so they are never overwritten.
 */
export function filesHoldingStoredBytes(root: string, entries: IndexEntry[]): IndexEntry[] {
  return entries.filter((e) => {
    try {
      return blobId(readFileSync(join(root, e.path)), e.oid.length === 64 ? 'sha256' : 'sha1') === e.oid
    } catch {
      return false
    }
  })
}

/**
 * Checks files out again through the filter. git judges "modified" by stat without running
 * clean, so this is the only way to replace a work-tree file and keep `git status` clean.
 */
export function checkoutAgain(root: string, paths: string[]): void {
  if (paths.length === 0) return
  // checkout-index skips a stat-clean file even with -f: remove it first. Callers only pass
  // files whose content git already has (the stored blob), so nothing is lost.
  for (const path of paths) rmSync(join(root, path), { force: true })
  gitBytes(['checkout-index', '-f', '-u', '-z', '--stdin'], { cwd: root, input: paths.join('\0') + '\0' })
}
