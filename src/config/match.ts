/**
 * Path rules with git's gitattributes meaning, matched with picomatch set up to agree
 * (a table test holds it to `git check-attr`). https://git-scm.com/docs/gitignore#_pattern_format
 *
 * - A pattern with no '/' (a trailing one aside) matches the file name at any depth; with a '/'
 *   it is anchored at the top of the repository (a leading '/' means the same).
 * - `*` and `?` never cross '/', `**` spans directories only as a whole path component,
 *   `[a-z]`, `[!a]`, backslash escapes. No braces, no extglobs, no negation.
 * - Every other character matches, newlines, carriage returns and U+2028/U+2029 included;
 *   like git, matching is by UTF-8 byte (`?` is one byte, not one character).
 */
import picomatch from 'picomatch'
import { bracketAt, patternAnchor } from './gitattributes-pattern.js'

export type PathMatcher = (path: string) => boolean

/** Escapes what picomatch would read as syntax git does not have: groups, extglobs, braces. */
function toPicomatch(pattern: string): string {
  let out = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!
    if (c === '\\' && i + 1 < pattern.length) {
      out += c + pattern[++i]!
    } else if (c === '[') {
      const bracket = bracketAt(pattern, i)
      if (!bracket) {
        out += '\\['
        continue
      }
      out += `[${bracket.set}]`
      i = bracket.close
    } else if ('()|+@!{}'.includes(c)) {
      out += '\\' + c
    } else {
      out += c
    }
  }
  return out
}

const ASCII = /^[\x00-\x7f]*$/

/**
 * A string with one character per UTF-8 byte of `text`. git's wildmatch works on bytes: `?` and
 * `[!a]` match one byte, so `x?y` does not match `xüy` (two bytes) nor `x\u2028y` (three).
 * Pattern and path both go through this, so the regex sees what git sees.
 */
function bytewise(text: string): string {
  // ASCII is its own UTF-8: no copy on the common path (matching runs once per path and rule).
  return ASCII.test(text) ? text : Buffer.from(text, 'utf8').toString('latin1')
}

/** Regexes compiled by an earlier process (the config cache, cache.ts), by pattern. */
const precompiled = new Map<string, RegExp>()

/** Takes the regexes of {@link compiledPattern} from the config cache, so picomatch need not load. */
export function seedCompiledPatterns(entries: readonly { pattern: string; source: string; flags: string }[]): void {
  for (const e of entries) precompiled.set(e.pattern, new RegExp(e.source, e.flags))
}

/** The regex a pattern compiles to (applied to the path, or to its last component when not anchored). */
export function compiledPattern(pattern: string): { source: string; flags: string } {
  const re = regexOf(pattern)
  return { source: re.source, flags: re.flags }
}

function regexOf(pattern: string): RegExp {
  const seeded = precompiled.get(pattern)
  if (seeded) return seeded
  const glob = toPicomatch(bytewise(patternAnchor(pattern).body))
  // The compiled regex, not picomatch's matcher: the matcher also accepts a path equal to the
  // pattern text ('[abc].txt' matching itself), which git does not.
  const loose = picomatch.makeRe(glob, {
    dot: true,
    nobrace: true,
    noextglob: true,
    nonegate: true,
    strictSlashes: true,
    literalBrackets: false,
  })
  // git's wildmatch lets '*', '?' and '**' match every byte but '/', line terminators included
  // (a path may hold \n, \r, U+2028, U+2029, and git applies filter=git-seal to it). picomatch
  // spells "any character" as '.', which in JavaScript stops at line terminators unless the
  // regex has the dotAll flag.
  return new RegExp(loose.source, loose.flags.includes('s') ? loose.flags : loose.flags + 's')
}

/** Compiles one gitattributes pattern. */
export function compilePattern(pattern: string): PathMatcher {
  // '/' is one byte in UTF-8: anchored or not, bytewise or not.
  const { anchored } = patternAnchor(pattern)
  const re = regexOf(pattern)
  if (anchored) return (path) => re.test(bytewise(path))
  return (path) => re.test(bytewise(path.slice(path.lastIndexOf('/') + 1)))
}

/** Why a pattern is refused, or null when git would read it as the user means it. */
export function patternProblem(pattern: string): string | null {
  if (pattern.trim() === '') return 'an empty pattern'
  if (pattern.startsWith('!')) return "negative patterns ('!') are not allowed in .gitattributes"
  if (/[{}]/.test(pattern.replace(/\\./g, ''))) return 'braces are not expanded by git; list the patterns instead'
  if (pattern.startsWith('/') && pattern.startsWith('//')) return 'an absolute path'
  if (/(^|\/)\.\.(\/|$)/.test(pattern)) return "'..' escapes the repository"
  if (/(^|\/)\.(\/|$)/.test(pattern)) return "'.' path components never match in .gitattributes"
  if (pattern.endsWith('/')) return "a pattern ending in '/' never matches a file in .gitattributes; use 'dir/**'"
  if (/[\n\r\0]/.test(pattern)) return 'a pattern with a line break'
  return null
}
