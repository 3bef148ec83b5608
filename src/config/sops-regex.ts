/**
 * sops's `path_regex` as gitattributes patterns, exactly: the patterns select the same paths the
 * regex does (sops: Go RE2 `MatchString` on the path relative to `.sops.yaml`'s directory, so an
 * unanchored regex matches anywhere in the path), or the regex is refused with the reason.
 *
 * How: the regex is parsed (the RE2 syntax path regexes use: literals and escapes, `.`, classes,
 * `\d \w \s`, groups with alternation, `* + ? {n,m}`, `^ $ \A \z`) and expanded into
 * alternatives, each a sequence of tokens: a literal character, one character of a set, `[^/]*`
 * (STAR: git's `*`), and `.*` (ANY: any string, across directories). An unanchored start or end
 * is an ANY there. ANY becomes git's `**` where it begins a path component, and `*` plus
 * `*​/**​/*` (or one `*​/**​/` before a '/') inside one. What no glob says is refused: a repetition
 * of anything but `.` or `[^/]` (`a+`, `[0-9]*`), flags, and "exactly one character" where that
 * character may be non-ASCII (git's `?` matches one byte; next to a `*` the count does not
 * matter, so `[^/]+` is `?*`).
 *
 * {@link overlapWitness} decides exactly whether two translated regexes share a path, and gives
 * one (a product of the two automata): sops takes the first rule that matches, git-seal refuses
 * a path two secrets match.
 */
import { anchoredPattern, escapeGlobChar } from './gitattributes-pattern.js'

/** One character out of a set: the listed ones, or (negated) all but them. */
export interface CharSet {
  negated: boolean
  chars: ReadonlySet<string>
}

export type Token =
  | { t: 'lit'; c: string }
  /** one character of `set`, never '/' */
  | { t: 'set'; set: CharSet; source: string }
  /** any run of characters but '/' (git's `*`) */
  | { t: 'star' }
  /** any run of characters, '/' included */
  | { t: 'any' }

/** A regex git's patterns cannot say; `reason` says why, for the user. */
export class UntranslatableRegex extends Error {
  override name = 'UntranslatableRegex'
}

const ALL_BUT_SLASH: CharSet = { negated: true, chars: new Set(['/']) }
/** At most this many alternatives per regex: beyond, a list of patterns is no longer readable. */
const MAX_ALTERNATIVES = 64
const MAX_REPEAT = 8

type Node =
  | { k: 'lit'; c: string }
  | { k: 'set'; set: CharSet; source: string }
  | { k: 'group'; alts: Node[][] }
  | { k: 'repeat'; node: Node; min: number; max: number; source: string }
  | { k: 'anchor'; at: 'start' | 'end' }

const setHas = (set: CharSet, c: string): boolean => set.chars.has(c) !== set.negated
const withoutSlash = (set: CharSet): CharSet =>
  set.negated
    ? { negated: true, chars: new Set([...set.chars, '/']) }
    : { negated: false, chars: new Set([...set.chars].filter((c) => c !== '/')) }
const isAllButSlash = (set: CharSet): boolean => set.negated && set.chars.size === 1 && set.chars.has('/')
/** Could one character of this set be more than one byte in UTF-8 (where git's `?` and the regex part ways)? */
const mayBeNonAscii = (set: CharSet): boolean => set.negated || [...set.chars].some((c) => c.codePointAt(0)! > 0x7f)

const DIGITS = [...'0123456789']
const WORD = [...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz']
const SPACE = ['\t', '\n', '\f', '\r', ' ']
const PERL: Record<string, CharSet> = {
  d: { negated: false, chars: new Set(DIGITS) },
  D: { negated: true, chars: new Set(DIGITS) },
  w: { negated: false, chars: new Set(WORD) },
  W: { negated: true, chars: new Set(WORD) },
  s: { negated: false, chars: new Set(SPACE) },
  S: { negated: true, chars: new Set(SPACE) },
}

/** Parses the RE2 subset path regexes use. @throws {UntranslatableRegex} */
class Parser {
  private i = 0
  private readonly chars: string[]
  constructor(readonly source: string) {
    this.chars = [...source]
  }

  parse(): Node[][] {
    const alts = this.alternation()
    if (this.i < this.chars.length) throw new UntranslatableRegex(`unbalanced ')' at position ${this.i + 1}`)
    return alts
  }

  private peek(): string | undefined {
    return this.chars[this.i]
  }

  private alternation(): Node[][] {
    const alts: Node[][] = [this.sequence()]
    while (this.peek() === '|') {
      this.i++
      alts.push(this.sequence())
    }
    return alts
  }

  private sequence(): Node[] {
    const out: Node[] = []
    for (;;) {
      const c = this.peek()
      if (c === undefined || c === '|' || c === ')') return out
      const start = this.i
      let node = this.atom()
      for (;;) {
        const q = this.peek()
        let min: number
        let max: number
        if (q === '*') {
          min = 0
          max = Infinity
          this.i++
        } else if (q === '+') {
          min = 1
          max = Infinity
          this.i++
        } else if (q === '?') {
          min = 0
          max = 1
          this.i++
        } else if (q === '{' && /^\{\d+(,\d*)?\}/.test(this.chars.slice(this.i).join(''))) {
          const m = /^\{(\d+)(,(\d*))?\}/.exec(this.chars.slice(this.i).join(''))!
          min = Number(m[1])
          max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3])
          this.i += m[0].length
        } else break
        if (this.peek() === '?') this.i++ // lazy: the same set of matches
        if (node.k === 'anchor') throw new UntranslatableRegex('a repeated anchor')
        node = { k: 'repeat', node, min, max, source: this.chars.slice(start, this.i).join('') }
      }
      out.push(node)
    }
  }

  private atom(): Node {
    const c = this.chars[this.i++]!
    if (c === '(') {
      if (this.peek() === '?') {
        if (this.chars[this.i + 1] !== ':')
          throw new UntranslatableRegex(
            `'(?${this.chars[this.i + 1] ?? ''}': flags and named groups are not translated`,
          )
        this.i += 2
      }
      const alts = this.alternation()
      if (this.peek() !== ')') throw new UntranslatableRegex("a '(' without its ')'")
      this.i++
      return { k: 'group', alts }
    }
    if (c === '^') return { k: 'anchor', at: 'start' }
    if (c === '$') return { k: 'anchor', at: 'end' }
    // RE2's '.' leaves out '\n', which no path regex means to talk about: any character here.
    if (c === '.') return { k: 'set', set: { negated: true, chars: new Set() }, source: '.' }
    if (c === '[') return this.charClass()
    if (c === '\\') {
      const e = this.chars[this.i++]
      if (e === undefined) throw new UntranslatableRegex('a trailing backslash')
      if (e === 'A') return { k: 'anchor', at: 'start' }
      if (e === 'z') return { k: 'anchor', at: 'end' }
      if (PERL[e]) return { k: 'set', set: PERL[e], source: `\\${e}` }
      if (/[^\w]/.test(e)) return { k: 'lit', c: e } // an escaped punctuation character is itself
      throw new UntranslatableRegex(`the escape '\\${e}'`)
    }
    if (c === '*' || c === '+' || c === '?' || c === '{') throw new UntranslatableRegex(`'${c}' with nothing to repeat`)
    return { k: 'lit', c }
  }

  private charClass(): Node {
    const start = this.i - 1
    let negated = false
    if (this.peek() === '^') {
      negated = true
      this.i++
    }
    const chars = new Set<string>()
    let first = true
    const one = (): string => {
      const c = this.chars[this.i++]
      if (c === undefined) throw new UntranslatableRegex("a '[' without its ']'")
      if (c !== '\\') return c
      const e = this.chars[this.i++]
      if (e === undefined || /\w/.test(e))
        throw new UntranslatableRegex(`the escape '\\${e ?? ''}' in a character class`)
      return e
    }
    for (;;) {
      const c = this.peek()
      if (c === undefined) throw new UntranslatableRegex("a '[' without its ']'")
      if (c === ']' && !first) {
        this.i++
        break
      }
      first = false
      if (c === '[' && this.chars[this.i + 1] === ':')
        throw new UntranslatableRegex('POSIX classes ([:alpha:]) are not translated')
      if (c === '\\' && PERL[this.chars[this.i + 1] ?? '']) {
        const perl = PERL[this.chars[this.i + 1]!]!
        if (perl.negated) throw new UntranslatableRegex('a negated \\D, \\W or \\S inside a character class')
        for (const x of perl.chars) chars.add(x)
        this.i += 2
        continue
      }
      const from = one()
      if (this.peek() === '-' && this.chars[this.i + 1] !== ']' && this.chars[this.i + 1] !== undefined) {
        this.i++
        const to = one()
        const a = from.codePointAt(0)!
        const b = to.codePointAt(0)!
        if (b < a) throw new UntranslatableRegex(`the range ${from}-${to} is backwards`)
        if (b - a > 0xff) throw new UntranslatableRegex(`the range ${from}-${to} is too wide to list`)
        for (let x = a; x <= b; x++) chars.add(String.fromCodePoint(x))
      } else chars.add(from)
    }
    return { k: 'set', set: { negated, chars }, source: this.chars.slice(start, this.i).join('') }
  }
}

/** Where the anchors of one alternative fall, with the tokens between. */
type Piece = Token | { t: 'anchor'; at: 'start' | 'end' }

/** All alternatives of a node list, as token sequences. @throws {UntranslatableRegex} */
function expand(nodes: Node[]): Piece[][] {
  let out: Piece[][] = [[]]
  for (const node of nodes) {
    const options = expandNode(node)
    const next: Piece[][] = []
    for (const prefix of out) for (const option of options) next.push([...prefix, ...option])
    if (next.length > MAX_ALTERNATIVES) throw new UntranslatableRegex(`more than ${MAX_ALTERNATIVES} alternatives`)
    out = next
  }
  return out
}

function expandNode(node: Node): Piece[][] {
  switch (node.k) {
    case 'lit':
      return [[{ t: 'lit', c: node.c }]]
    case 'anchor':
      return [[{ t: 'anchor', at: node.at }]]
    case 'set': {
      // '/' is a path separator to git: a set holding it is "that set, or a '/'".
      const rest = withoutSlash(node.set)
      const nonEmpty = rest.negated || rest.chars.size > 0
      const out: Piece[][] = []
      if (nonEmpty) out.push([{ t: 'set', set: rest, source: node.source }])
      if (setHas(node.set, '/')) out.push([{ t: 'lit', c: '/' }])
      return out
    }
    case 'group': {
      const out: Piece[][] = []
      for (const alt of node.alts) out.push(...expand(alt))
      if (out.length > MAX_ALTERNATIVES) throw new UntranslatableRegex(`more than ${MAX_ALTERNATIVES} alternatives`)
      return out
    }
    case 'repeat': {
      const inner = node.node
      if (node.max === Infinity) {
        // Only "any run" repeats have a glob: '.*' (across '/', ANY) and '[^/]*' (within a name, STAR).
        let run: Piece
        if (inner.k === 'set' && inner.set.negated && inner.set.chars.size === 0) run = { t: 'any' }
        else if (inner.k === 'set' && isAllButSlash(inner.set)) run = { t: 'star' }
        else throw new UntranslatableRegex(`'${node.source}': git's patterns repeat only '.' and '[^/]'`)
        const once = expandNode({ k: 'repeat', node: inner, min: node.min, max: node.min, source: node.source })
        return once.map((seq) => [...seq, run])
      }
      if (node.max > MAX_REPEAT) throw new UntranslatableRegex(`'${node.source}': too many repetitions to list`)
      let out: Piece[][] = []
      for (let n = node.min; n <= node.max; n++) out.push(...expand(Array.from({ length: n }, () => inner)))
      if (out.length > MAX_ALTERNATIVES) throw new UntranslatableRegex(`more than ${MAX_ALTERNATIVES} alternatives`)
      out = out.length ? out : [[]]
      return out
    }
  }
}

/**
 * One alternative with its anchors resolved: an unanchored end is an ANY. Null when it can match
 * no file path (an anchor in the middle, a path starting or ending with '/', or '//').
 */
function resolveAnchors(pieces: Piece[]): Token[] | null {
  let startAt = -1
  let endAt = pieces.length
  pieces.forEach((p, i) => {
    if (p.t === 'anchor' && p.at === 'start') startAt = i
  })
  for (let i = pieces.length - 1; i >= 0; i--) {
    const p = pieces[i]!
    if (p.t === 'anchor' && p.at === 'end') endAt = i
  }
  // What lies before '^' (after '$') must match the empty string: only runs can.
  const canBeEmpty = (p: Piece): boolean => p.t === 'star' || p.t === 'any' || p.t === 'anchor'
  if (!pieces.slice(0, Math.max(startAt, 0)).every(canBeEmpty)) return null
  if (!pieces.slice(endAt + 1).every(canBeEmpty)) return null
  const body = pieces.slice(startAt + 1, endAt).filter((p): p is Token => p.t !== 'anchor')
  if (pieces.slice(startAt + 1, endAt).some((p) => p.t === 'anchor')) return null
  const tokens: Token[] = [
    ...(startAt < 0 ? [{ t: 'any' } as Token] : []),
    ...body,
    ...(endAt === pieces.length ? [{ t: 'any' } as Token] : []),
  ]
  // Runs next to each other are one run.
  const merged: Token[] = []
  for (const tok of tokens) {
    const prev = merged[merged.length - 1]
    if (prev && (prev.t === 'star' || prev.t === 'any') && (tok.t === 'star' || tok.t === 'any')) {
      merged[merged.length - 1] = prev.t === 'any' || tok.t === 'any' ? { t: 'any' } : { t: 'star' }
      continue
    }
    merged.push(tok)
  }
  const isSlash = (t: Token | undefined): boolean => t?.t === 'lit' && t.c === '/'
  if (isSlash(merged[0]) || isSlash(merged[merged.length - 1])) return null
  if (merged.some((t, i) => isSlash(t) && isSlash(merged[i + 1]))) return null
  if (merged.length === 0) return null
  // A path never has a '.' or '..' component.
  let component: string | null = '' // its literal text, null once it holds anything else
  for (const tok of [...merged, { t: 'lit', c: '/' } as Token]) {
    if (isSlash(tok)) {
      if (component === '.' || component === '..') return null
      component = ''
    } else component = tok.t === 'lit' && component !== null ? component + tok.c : null
  }
  return merged
}

/**
 * Refuses "exactly N characters" where a character may take several bytes. Within a stretch of
 * tokens between two literal characters, one such set next to a run is exact ("at least one
 * character" is "at least one byte"); two, or one with no run, are not (`é` is one character but
 * two bytes, so git's `??` matches it and `[^/][^/]` does not).
 */
function checkByteCounts(tokens: Token[], regex: string): void {
  let stretch: Token[] = []
  const check = (): void => {
    const wide = stretch.filter((t): t is Token & { t: 'set' } => t.t === 'set' && mayBeNonAscii(t.set))
    const hasRun = stretch.some((t) => t.t === 'star' || t.t === 'any')
    if (wide.length === 0 || (wide.length === 1 && hasRun)) return
    throw new UntranslatableRegex(
      `'${wide.map((t) => t.source).join('')}' in ${JSON.stringify(regex)} stands for an exact number of characters, which git's '?' counts in bytes (a non-ASCII character is several); write '[^/]+', '.*' or the characters themselves`,
    )
  }
  for (const tok of tokens) {
    if (tok.t === 'lit') {
      check()
      stretch = []
    } else stretch.push(tok)
  }
  check()
}

/** A set as a glob bracket expression (or '?'). @throws {UntranslatableRegex} for characters brackets cannot hold. */
function globSet(set: CharSet): string {
  if (isAllButSlash(set)) return '?'
  const chars = [...set.chars].filter((c) => c !== '/').sort()
  if (chars.some((c) => c === ']' || c === '\\' || c === '[' || c === '!' || c === '^')) {
    throw new UntranslatableRegex(`a character class holding one of ] \\ [ ! ^`)
  }
  // '-' last, where it is itself.
  const body = chars.filter((c) => c !== '-').join('') + (chars.includes('-') ? '-' : '')
  if (!set.negated && chars.length === 1) return escapeGlobChar(chars[0]!)
  return set.negated ? `[!${body}]` : `[${body}]`
}

/**
 * The glob patterns of one alternative (see the top of this file).
 * @throws {UntranslatableRegex}
 */
function globsOf(tokens: Token[]): string[] {
  let outs = ['']
  const add = (suffixes: string[]): void => {
    const next: string[] = []
    for (const o of outs) for (const s of suffixes) next.push(o + s)
    outs = next
  }
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!
    const next = tokens[i + 1]
    const atComponentStart = i === 0 || (tokens[i - 1]!.t === 'lit' && (tokens[i - 1] as { c: string }).c === '/')
    const nextIsSlash = next?.t === 'lit' && next.c === '/'
    if (tok.t === 'lit') add([tok.c === '/' ? '/' : escapeGlobChar(tok.c)])
    else if (tok.t === 'set') add([globSet(tok.set)])
    else if (tok.t === 'star') add(['*'])
    else if (atComponentStart) {
      // Zero or more whole directories, then (part of) a name: '**/*'; at the end, everything below.
      add([next === undefined ? '**' : '**/*'])
    } else if (nextIsSlash) {
      // The rest of this name, then zero or more directories, up to the '/': one pattern.
      add(['*/**/'])
      i++ // the '/' is written
    } else if (next === undefined) add(['*', '*/**'])
    else add(['*', '*/**/*'])
  }
  return outs
}

/**
 * Shorter globs for the same paths: a whole name `?*` is `*` (names are never empty), `X/**​/*`
 * is `X/**`, and `X/*` with `X/*​/**` is `X/**`.
 */
function simplify(globs: string[]): string[] {
  const out = globs.map((g) =>
    g
      .split('/')
      .map((part) => (part === '?*' || part === '*?' ? '*' : part))
      .join('/')
      .replace(/(^|\/)\*\*\/\*$/, '$1**'),
  )
  const merged: string[] = []
  for (const g of out) {
    if (g.endsWith('/*') && out.includes(`${g}/**`)) merged.push(`${g.slice(0, -1)}**`)
    else if (g.endsWith('/*/**') && out.includes(g.slice(0, -3))) continue
    else merged.push(g)
  }
  return [...new Set(merged)]
}

/** A translated regex: its patterns and the token sequences they were made from. */
export interface TranslatedRegex {
  patterns: string[]
  alternatives: Token[][]
}

/**
 * Translates a sops `path_regex` into gitattributes patterns that select exactly the same paths.
 * @throws {UntranslatableRegex} naming what no pattern can say.
 */
export function translatePathRegex(regex: string): TranslatedRegex {
  const alternatives: Token[][] = []
  const parsed = new Parser(regex).parse()
  for (const pieces of expand(parsed.length === 1 ? parsed[0]! : [{ k: 'group', alts: parsed }])) {
    const tokens = resolveAnchors(pieces)
    if (tokens) alternatives.push(tokens)
  }
  if (alternatives.length === 0) throw new UntranslatableRegex('it matches no file path')
  const globs: string[] = []
  for (const tokens of alternatives) {
    checkByteCounts(tokens, regex)
    for (const glob of globsOf(tokens)) if (!globs.includes(glob)) globs.push(glob)
  }
  const patterns: string[] = []
  for (const glob of simplify(globs)) {
    const pattern = anchoredPattern(glob)
    if (!patterns.includes(pattern)) patterns.push(pattern)
  }
  if (patterns.length > MAX_ALTERNATIVES) throw new UntranslatableRegex(`more than ${MAX_ALTERNATIVES} patterns`)
  return { patterns, alternatives }
}

// --- overlap: the product of two token automata ---

type Class = { negated: boolean; chars: ReadonlySet<string> }
const ANY_CHAR: Class = { negated: true, chars: new Set() }

function classOf(tok: Token): Class {
  if (tok.t === 'lit') return { negated: false, chars: new Set([tok.c]) }
  if (tok.t === 'set') return tok.set
  if (tok.t === 'star') return ALL_BUT_SLASH
  return ANY_CHAR
}

const PREFERRED = [...'xabcdefghijklmnopqrstuvwyz0123456789._-']

/** A character in both classes (and not '/' when `slashAllowed` is false), preferring readable ones; null when none. */
function common(a: Class, b: Class, slashAllowed: boolean): string | null {
  const ok = (c: string): boolean =>
    (slashAllowed || c !== '/') && a.chars.has(c) !== a.negated && b.chars.has(c) !== b.negated
  const candidates = [...(a.negated ? [] : a.chars), ...(b.negated ? [] : b.chars)]
  if (a.negated && b.negated) candidates.push(...PREFERRED, '/')
  for (const c of [...PREFERRED.filter((c) => candidates.includes(c)), ...candidates]) if (ok(c)) return c
  if (a.negated && b.negated) {
    for (let x = 0x21; x < 0x2ff; x++) if (ok(String.fromCodePoint(x))) return String.fromCodePoint(x)
  }
  return null
}

/**
 * A path (no leading or trailing '/', no '//') both translated regexes match, or null when they
 * share none. Exact: a breadth-first walk of the product of their automata.
 */
export function overlapWitness(a: TranslatedRegex, b: TranslatedRegex): string | null {
  for (const x of a.alternatives) {
    for (const y of b.alternatives) {
      const w = sequenceOverlap(x, y)
      if (w !== null) return w
    }
  }
  return null
}

function sequenceOverlap(x: Token[], y: Token[]): string | null {
  type State = { i: number; j: number; slash: boolean; path: string }
  const key = (s: State): string => `${s.i},${s.j},${s.slash}`
  const seen = new Set<string>()
  const queue: State[] = [{ i: 0, j: 0, slash: true, path: '' }]
  const isRun = (t: Token | undefined): boolean => t?.t === 'star' || t?.t === 'any'
  while (queue.length > 0) {
    const s = queue.shift()!
    if (seen.has(key(s))) continue
    seen.add(key(s))
    if (s.i === x.length && s.j === y.length && !s.slash) return s.path
    // A run may stop here (it matches the empty string).
    if (isRun(x[s.i])) queue.push({ ...s, i: s.i + 1 })
    if (isRun(y[s.j])) queue.push({ ...s, j: s.j + 1 })
    const tx = x[s.i]
    const ty = y[s.j]
    if (!tx || !ty) continue
    // Both consume one character: a run stays where it is, anything else moves on.
    const c = common(classOf(tx), classOf(ty), !s.slash)
    if (c === null) continue
    // A '/' where both could take something else as well: try the other character first.
    queue.push({ i: isRun(tx) ? s.i : s.i + 1, j: isRun(ty) ? s.j : s.j + 1, slash: c === '/', path: s.path + c })
    if (c !== '/' && !s.slash && setHasClass(classOf(tx), '/') && setHasClass(classOf(ty), '/')) {
      queue.push({ i: isRun(tx) ? s.i : s.i + 1, j: isRun(ty) ? s.j : s.j + 1, slash: true, path: s.path + '/' })
    }
  }
  return null
}

const setHasClass = (c: Class, ch: string): boolean => c.chars.has(ch) !== c.negated
