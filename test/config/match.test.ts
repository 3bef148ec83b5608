// Our gitattributes matching against git's own: `git check-attr` on the same patterns and paths.
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { compilePattern, patternProblem, quotePattern } from '../../src/config/index.js'
import { newHome, tempDir } from '../helpers/repo.js'

const PATTERNS = [
  '*.secret',
  'secret.txt',
  'secrets/**',
  '/secrets/*.env',
  'secrets/*',
  '**/prod/*.yaml',
  'a/**/b.txt',
  'config/*.json',
  '.env',
  '.env.*',
  '*.key',
  'dir with space/*.txt',
  'ünï/*',
  '[abc].txt',
  '[!a].txt',
  'x?y',
  'deep/**/keys/**',
  '**/x',
  'a**b',
  'foo/bar',
  '/top.txt',
  'file\\*.txt',
  'name(1).txt',
  'a+b.txt',
  'k@v',
  'bang!.txt',
  '*.yml',
]
const PATHS = [
  'a.secret',
  'dir/a.secret',
  '.secret',
  'x/.secret',
  'secret.txt',
  'sub/secret.txt',
  'secrets/a',
  'secrets/b/c',
  'secrets',
  'other/secrets/a',
  'secrets/.env',
  'secrets/x.env',
  'secrets/sub/x.env',
  'prod/a.yaml',
  'x/prod/a.yaml',
  'x/y/prod/a.yaml',
  'prod/sub/a.yaml',
  'a/b.txt',
  'a/x/b.txt',
  'a/x/y/b.txt',
  'ab.txt',
  'config/a.json',
  'config/x/a.json',
  'sub/config/a.json',
  '.env',
  'x/.env',
  '.env.local',
  'x/.env.prod',
  'id.key',
  'deep/x.key',
  'dir with space/a.txt',
  'dir with space/sub/a.txt',
  'ünï/名前.txt',
  'a.txt',
  'b.txt',
  'd.txt',
  'xzy',
  'x/y',
  'xy',
  'deep/keys/k',
  'deep/1/2/keys/k/l',
  'deep/keyss/k',
  'x',
  'p/q/x',
  'axxb',
  'ax/xb',
  'ab',
  'foo/bar',
  'x/foo/bar',
  'top.txt',
  'x/top.txt',
  'file*.txt',
  'filex.txt',
  'name(1).txt',
  'a+b.txt',
  'k@v',
  'bang!.txt',
  'x.yml',
  '[abc].txt',
  // Line terminators in paths: git matches them like any other character (JavaScript's '.' does not).
  'a\nb.secret',
  '\n.secret',
  'd\r/\u2028.secret',
  'secrets/a\nb',
  'secrets/\r',
  'secrets/\u2029/c',
  'x\ny',
  'x\u2028y',
  'x\ry',
  'p\n/q/x',
  '\u2029/x',
  'a/\r/b.txt',
  'a/\n/\u2028/b.txt',
  'deep/\n/keys/k',
  'deep/keys/\u2029',
  'config/\n.json',
  '\r.env.x',
  'dir with space/\u2028.txt',
  '[\n].txt',
  'a\u2029.yml',
  'foo\n/bar',
  '\n/top.txt',
  'k\r@v',
  // git matches bytes: '?' and '[!a]' are one byte of UTF-8, not one character.
  'xüy',
  'x\u00fc\u00fcy',
  'ü.txt',
  'x名y',
]

function gitCheckAttr(pattern: string): Set<string> {
  const dir = tempDir('git-seal-attr-')
  const home = newHome()
  spawnSync('git', ['init', '-q'], { cwd: dir, env: home.env })
  writeFileSync(join(dir, '.gitattributes'), `${quotePattern(pattern)} sealtest\n`)
  const out = spawnSync('git', ['check-attr', '--stdin', '-z', 'sealtest'], {
    cwd: dir,
    env: home.env,
    input: PATHS.join('\0') + '\0',
  }).stdout.toString('utf8')
  const fields = out.split('\0')
  const matched = new Set<string>()
  for (let i = 0; i + 2 < fields.length; i += 3) if (fields[i + 2] === 'set') matched.add(fields[i]!)
  return matched
}

describe('gitattributes patterns agree with git check-attr', () => {
  it.each(PATTERNS)('%s', (pattern) => {
    const expected = gitCheckAttr(pattern)
    const match = compilePattern(pattern)
    const ours = new Set(PATHS.filter((p) => match(p)))
    expect([...ours].sort()).toEqual([...expected].sort())
  })

  it('the table is not trivial: every pattern matches something, and not everything', () => {
    for (const pattern of PATTERNS) {
      const n = PATHS.filter(compilePattern(pattern)).length
      expect(n, pattern).toBeGreaterThan(0)
      expect(n, pattern).toBeLessThan(PATHS.length)
    }
  })
})

describe('patterns git would not read as meant', () => {
  it.each([
    ['', 'empty'],
    ['!secrets/*', 'negative'],
    ['{a,b}.txt', 'braces'],
    ['../x', "'..'"],
    ['a/../b', "'..'"],
    ['secrets/', "use 'dir/**'"],
    ['./a', "'.'"],
  ])('%j is refused (%s)', (pattern, message) => {
    expect(patternProblem(pattern)).toContain(message)
  })

  it.each(['secrets/**', '*.env', 'a b/c', '/top'])('%j is accepted', (pattern) => {
    expect(patternProblem(pattern)).toBeNull()
  })
})
