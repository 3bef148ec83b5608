// The syntax of gitattributes patterns, in one place (src/config/gitattributes-pattern.ts):
// what match.ts, sops-regex.ts, attributes.ts and sops-config's regexes share.
import { describe, expect, it } from 'vitest'
import { compilePattern } from '../../src/config/index.js'
import {
  anchoredPattern,
  bracketAt,
  escapeGlobChar,
  patternAnchor,
  patternToRegex,
  quotePattern,
} from '../../src/config/gitattributes-pattern.js'

const GLOBS = [
  '*.yaml',
  'secrets/**',
  'secrets/*.yaml',
  '**/*.enc.json',
  '/secrets/**/b.yaml',
  '.env',
  '[ab].txt',
  '[!ab].txt',
  'dir/a b.yaml',
  'a\\*b',
  'x/**/y/**',
  'a?c',
  'a[b',
  'secrets/',
  'a.b+c(d)',
]

describe('gitattributes patterns', () => {
  it('anchors a pattern holding a slash, once its trailing slash is dropped', () => {
    expect(patternAnchor('a/b/')).toEqual({ body: 'a/b', anchored: true })
    expect(patternAnchor('/a')).toEqual({ body: 'a', anchored: true })
    expect(patternAnchor('dir/')).toEqual({ body: 'dir', anchored: false })
    expect(patternAnchor('*.env')).toEqual({ body: '*.env', anchored: false })
  })

  it('reads bracket expressions as git does', () => {
    expect(bracketAt('[ab]', 0)).toEqual({ set: 'ab', close: 3 })
    expect(bracketAt('[!ab]', 0)).toEqual({ set: '^ab', close: 4 })
    expect(bracketAt('[]a]', 0)).toEqual({ set: ']a', close: 3 })
    expect(bracketAt('[!]a]', 0)).toEqual({ set: '^]a', close: 4 })
    expect(bracketAt('a[b', 1)).toBeNull()
  })

  it('writes globs as patterns meaning the same from the top', () => {
    expect(anchoredPattern('**/x.env')).toBe('x.env')
    expect(anchoredPattern('x.env')).toBe('/x.env')
    expect(anchoredPattern('**')).toBe('**')
    expect(anchoredPattern('a/**')).toBe('a/**')
    expect(anchoredPattern('**/#x')).toBe('\\#x')
    expect(escapeGlobChar('*') + escapeGlobChar('a') + escapeGlobChar('\\')).toBe('\\*a\\\\')
    expect(quotePattern('a b')).toBe('"a b"')
    expect(quotePattern('a\\b')).toBe('a\\b')
  })

  it('gives the regexes sops-config has always written', () => {
    expect(patternToRegex('*.yaml')).toBe('(?:^|/)[^/]*\\.yaml$')
    expect(patternToRegex('secrets/**')).toBe('^secrets/.*$')
    expect(patternToRegex('/secrets/**/b.yaml')).toBe('^secrets/(?:.*/)?b\\.yaml$')
    expect(patternToRegex('[!ab].txt')).toBe('(?:^|/)[^ab]\\.txt$')
    expect(patternToRegex('a[b')).toBe('(?:^|/)a\\[b$')
    expect(patternToRegex('a\\*b')).toBe('(?:^|/)a\\*b$')
  })

  const PATHS = [
    'a.yaml',
    'secrets/a.yaml',
    'secrets/x/b.yaml',
    'x/secrets/a.yaml',
    'prod/app.enc.json',
    'app.enc.json',
    '.env',
    'x/.env',
    'secrets',
    'b.txt',
    'c.txt',
    'dir/a b.yaml',
    'a*b',
    'axb',
    'x/q/y/z',
    'abc',
    'a[b',
    'a.b+c(d)',
    ']',
    'a]',
  ]
  it.each([...GLOBS, '[]a]', '[!]a]'])('%s: the regex selects the paths the pattern matches', (glob) => {
    const re = new RegExp(patternToRegex(glob))
    const match = compilePattern(glob)
    expect(PATHS.filter((p) => re.test(p))).toEqual(PATHS.filter(match))
  })
})
