/** `git merge-file -p`: a three-way merge of files on disk, the result on stdout. */
import { spawnSync } from 'node:child_process'

export interface MergeFileResult {
  merged: Buffer
  /** the number of conflicts git reported (its exit status), 0 for a clean merge */
  conflicts: number
}

/**
 * Merges `ours`, `base` and `theirs` (paths) with git's own algorithm; conflict markers are
 * `markerSize` characters long and labelled as given.
 * @throws {Error} when git fails (killed, or an exit status above 127: not a conflict count).
 */
export function mergeFile(
  root: string,
  files: { ours: string; base: string; theirs: string },
  labels: { ours: string; base: string; theirs: string },
  markerSize: number,
): MergeFileResult {
  const result = spawnSync(
    'git',
    [
      'merge-file',
      '-p',
      `--marker-size=${markerSize}`,
      '-L',
      labels.ours,
      '-L',
      labels.base,
      '-L',
      labels.theirs,
      files.ours,
      files.base,
      files.theirs,
    ],
    {
      cwd: root,
      maxBuffer: 1 << 30,
    },
  )
  if (result.status === null || result.status > 127)
    throw new Error(`git merge-file failed: ${result.stderr?.toString() ?? ''}`)
  return { merged: result.stdout, conflicts: result.status }
}
