/**
 * What a repository's Nix setup asks of its secrets, for `init`: a flake copies the work tree
 * into the world-readable /nix/store (Nix 2.20+ reads a local flake from the work tree; older
 * Nix through `git archive`, which runs the smudge filter), so its secrets must keep their
 * ciphertext in the work tree (`worktree: ciphertext`). sops-nix reads sops files (`format:
 * sops`, sops's binary store for other files); agenix reads age files.
 *
 * Detection reads `flake.nix` (comments left out) and `flake.lock`, and never evaluates Nix.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

export interface NixSetup {
  /** a `flake.nix` at the top of the work tree */
  flake: boolean
  /** an input named `sops-nix`, or one fetched from a sops-nix repository */
  sopsNix: boolean
  /** an input named `agenix` (or `ragenix`, which reads the same files), or one fetched from such a repository */
  agenix: boolean
}

const SOPS_NIX = ['sops-nix']
const AGENIX = ['agenix', 'ragenix']

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    // missing or unreadable: nothing to learn from it
    return null
  }
}

/** Nix source without comments (`# ...` to the end of a line, `/* ... *\/`); strings are kept. */
export function stripNixComments(source: string): string {
  let out = ''
  let i = 0
  while (i < source.length) {
    const c = source[i]!
    if (c === '"' || (c === "'" && source[i + 1] === "'")) {
      // A string ("..." with \ escapes, or ''...'' with '' escapes): copied as it is.
      const indented = c === "'"
      const start = i
      i += indented ? 2 : 1
      while (i < source.length) {
        if (!indented && source[i] === '\\') i += 2
        else if (!indented && source[i] === '"') {
          i++
          break
        } else if (indented && source.startsWith("'''", i)) i += 3
        else if (indented && source.startsWith("''", i)) {
          i += 2
          break
        } else i++
      }
      out += source.slice(start, i)
    } else if (c === '#') {
      while (i < source.length && source[i] !== '\n') i++
    } else if (c === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2)
      i = end < 0 ? source.length : end + 2
      out += ' '
    } else {
      out += c
      i++
    }
  }
  return out
}

/** True when one of `names` occurs in `text` as a whole word: an input's name, or the last part of a repository path. */
function mentions(text: string, names: string[]): boolean {
  return names.some((name) => new RegExp(`(?<![A-Za-z0-9_'-])${name}(?![A-Za-z0-9_'-])`).test(text))
}

/** Input names and fetched repositories of a flake.lock, as one list of words. */
function lockWords(text: string): string[] {
  try {
    const lock = JSON.parse(text) as {
      nodes?: Record<string, { original?: Record<string, unknown>; locked?: Record<string, unknown> }>
    }
    const words: string[] = []
    for (const [name, node] of Object.entries(lock.nodes ?? {})) {
      words.push(name.replace(/_\d+$/, '')) // a second node of one name is "name_2"
      for (const ref of [node.original, node.locked]) {
        for (const field of ['repo', 'url', 'path']) {
          const value = ref?.[field]
          if (typeof value === 'string')
            words.push(
              value
                .replace(/\.git$/, '')
                .split(/[/:]/)
                .pop() ?? '',
            )
        }
      }
    }
    return words
  } catch {
    // not JSON: a lock file nobody can use; flake.nix decides
    return []
  }
}

/** What the repository at `root` uses: a flake, sops-nix, agenix. */
export function detectNix(root: string): NixSetup {
  const flakeText = readText(join(root, 'flake.nix'))
  const lockText = readText(join(root, 'flake.lock'))
  const code = flakeText === null ? '' : stripNixComments(flakeText)
  const locked = lockText === null ? [] : lockWords(lockText)
  const uses = (names: string[]): boolean => mentions(code, names) || locked.some((w) => names.includes(w))
  return { flake: flakeText !== null, sopsNix: uses(SOPS_NIX), agenix: uses(AGENIX) }
}
