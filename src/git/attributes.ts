/** Batched `git check-attr` for many paths in one process. */
import type { IndexEntry } from './plumbing.js'
import { gitBytes } from './run.js'

/**
 * The value of attribute `name` for each path ("unspecified", "set", "unset" or a value).
 * Uses the work tree's .gitattributes, or the index's with `cached`.
 */
export function checkAttr(root: string, name: string, paths: string[], cached = false): Map<string, string> {
  const result = new Map<string, string>()
  if (paths.length === 0) return result
  const args = ['check-attr', '--stdin', '-z', ...(cached ? ['--cached'] : []), name]
  const out = gitBytes(args, { cwd: root, input: paths.join('\0') + '\0' }).toString('utf8')
  const fields = out.split('\0')
  // Output: path NUL attribute NUL value NUL, repeated.
  for (let i = 0; i + 2 < fields.length; i += 3) result.set(fields[i]!, fields[i + 2]!)
  return result
}

/** Index paths whose `filter` attribute is git-seal. */
export function filteredPaths(root: string, entries: IndexEntry[], cached = false): Set<string> {
  const attrs = checkAttr(root, 'filter', [...new Set(entries.map((e) => e.path))], cached)
  const out = new Set<string>()
  for (const [path, value] of attrs) if (value === 'git-seal') out.add(path)
  return out
}
