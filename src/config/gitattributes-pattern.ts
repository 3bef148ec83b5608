/**
 * The syntax of a gitattributes pattern, in one place: every module that reads, writes or
 * translates one (match.ts to picomatch, sops-regex.ts from a sops regex, attributes.ts into a
 * .gitattributes line, and sops-config's regex for `.sops.yaml`) takes these rules from here.
 * https://git-scm.com/docs/gitignore#_pattern_format and git's Documentation/gitattributes.txt.
 *
 * - A trailing '/' is dropped (in .gitattributes such a pattern never matches a file; config
 *   validation refuses it). What is left is anchored at the top of the repository when it holds
 *   a '/' (a leading one then means nothing more); without one it matches the name at any depth.
 * - `*` and `?` never cross '/'; `**` spans directories only as a whole path component.
 * - `[...]` is a bracket expression, `[!...]` (or `[^...]`) its negation; its first character
 *   (after the negation) may be ']' itself. A '[' with no ']' after it is a literal '['.
 * - A backslash makes the next character literal. The glob syntax characters are `* ? [ \`.
 * - In a .gitattributes line a pattern that starts with '!' or '#' needs a backslash, and one
 *   holding blanks or quotes is written in C-style double quotes.
 */

/** The pattern without its trailing '/', and without its leading '/' when it is anchored. */
export function patternAnchor(pattern: string): { body: string; anchored: boolean } {
  const trimmed = pattern.replace(/\/$/, '')
  const anchored = trimmed.includes('/')
  return { body: trimmed.replace(/^\//, ''), anchored }
}

/**
 * The bracket expression opening at `pattern[open]` (a '['): its set with a leading '!' spelled
 * '^' as regexes and picomatch read it, and the index of its closing ']'; null when none closes
 * it (then the '[' is literal).
 */
export function bracketAt(pattern: string, open: number): { set: string; close: number } | null {
  const negated = pattern[open + 1] === '!' || pattern[open + 1] === '^'
  // The first character of the set (after a negation) is in it even when it is ']'.
  const close = pattern.indexOf(']', open + (negated ? 3 : 2))
  if (close < 0) return null
  let set = pattern.slice(open + 1, close)
  if (set.startsWith('!')) set = '^' + set.slice(1)
  return { set, close }
}

const GLOB_SPECIAL = new Set(['*', '?', '[', '\\'])

/** A character as a pattern matching only itself. */
export function escapeGlobChar(c: string): string {
  return GLOB_SPECIAL.has(c) ? `\\${c}` : c
}

/**
 * A glob over repository-relative paths written as the gitattributes pattern that means the
 * same from the top of the repository: `**​/NAME` (no other '/') is NAME at any depth, which git
 * spells NAME; a NAME alone is anchored with a leading '/'; a leading '!' or '#' is escaped.
 */
export function anchoredPattern(glob: string): string {
  let g = glob
  if (g.startsWith('**/') && !g.slice(3).includes('/') && g !== '**/') g = g.slice(3)
  else if (!g.includes('/') && g !== '**') g = `/${g}`
  if (g.startsWith('!') || g.startsWith('#')) g = `\\${g}`
  return g
}

/** Writes a pattern so git reads it back unchanged: C-style quotes when it holds blanks or quotes. */
export function quotePattern(pattern: string): string {
  if (!/[\s"\\]/.test(pattern) || !/[\s"]/.test(pattern)) return pattern
  let out = '"'
  for (const ch of pattern) {
    if (ch === '"' || ch === '\\') out += '\\' + ch
    else if (ch === '\t') out += '\\t'
    else out += ch
  }
  return out + '"'
}

/**
 * A gitattributes pattern as an RE2-compatible regex over repository-relative paths (what sops'
 * `path_regex` is): anchored at the top, or after any '/' when the pattern is not anchored.
 */
export function patternToRegex(pattern: string): string {
  const { body: p, anchored } = patternAnchor(pattern)
  let out = ''
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!
    if (c === '*' && p[i + 1] === '*') {
      const atStart = i === 0 || p[i - 1] === '/'
      const atEnd = i + 2 === p.length || p[i + 2] === '/'
      if (atStart && atEnd) {
        if (i + 2 === p.length) out += '.*'
        else {
          out += '(?:.*/)?'
          i++ // the slash is part of the group
        }
        i++
        continue
      }
      out += '[^/]*'
      i++
    } else if (c === '*') out += '[^/]*'
    else if (c === '?') out += '[^/]'
    else if (c === '[') {
      const bracket = bracketAt(p, i)
      if (!bracket) out += '\\['
      else {
        // A ']' first in the set is literal in git; a regex needs it escaped (as any backslash).
        const set = bracket.set.replace(/\\/g, '\\\\').replace(/^(\^?)\]/, '$1\\]')
        out += `[${set}]`
        i = bracket.close
      }
    } else if (c === '\\' && i + 1 < p.length) {
      out += p[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
    } else out += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  }
  return `${anchored ? '^' : '(?:^|/)'}${out}$`
}
