/**
 * `git cat-file -s OID`: an object's size without its content. A large smudge asks it once, to
 * know before the first byte whether the plaintext may be held in memory (seal/smudge.ts).
 */
import { gitMaybe, type GitOptions } from './run.js'

/** Parses `git cat-file -s` output: a decimal size and a newline; null for anything else. */
export function parseObjectSize(out: string | null): number | null {
  if (out === null || !/^\d+\n?$/.test(out)) return null
  const size = Number(out.trim())
  return Number.isSafeInteger(size) ? size : null
}

/**
 * The size in bytes of object `oid`, or null when git does not know it (missing, not an object
 * id, git failing).
 * @throws only what starting git throws (git not found).
 */
export function objectSize(oid: string, options: GitOptions = {}): number | null {
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(oid)) return null
  return parseObjectSize(gitMaybe(['cat-file', '-s', oid], options))
}
