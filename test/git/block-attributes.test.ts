// The conversion attributes read from git-seal's block without check-attr (issue 16): wherever
// the module answers, it answers what `git check-attr` prints, in repositories made at random
// from the things that outrank or confuse the block; and it declines in each of them named.
import { spawnSync } from 'node:child_process'
import { mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseCheckAttr } from '../../src/git/attributes.js'
import { BlockAttributes, blockLikelyDecides, simplePatternRegex } from '../../src/git/block-attributes.js'
import { readIndexFile } from '../../src/git/index-file.js'
import { repoPaths } from '../../src/git/repo.js'
import { newHome, tempDir } from '../helpers/repo.js'

const home = newHome()
const ATTRS = ['text', 'ident', 'working-tree-encoding']
const BLOCK = [
  '# BEGIN git-seal (generated from .gitseal.yaml by `git-seal sync`; do not edit)',
  'secrets/** filter=git-seal diff=git-seal merge=git-seal -text -ident !working-tree-encoding',
  '*.secret filter=git-seal diff=git-seal merge=git-seal -text -ident !working-tree-encoding',
  'secrets/example.txt !filter !diff !merge',
  '/.gitseal.yaml !filter !diff !merge',
  '.gitattributes !filter !diff !merge',
  '# END git-seal',
].join('\n')

function git(cwd: string, args: string[], env: NodeJS.ProcessEnv = home.env): string {
  const r = spawnSync('git', args, { cwd, env })
  expect(r.status, r.stderr.toString()).toBe(0)
  return r.stdout.toString()
}

function write(dir: string, path: string, text: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true })
  writeFileSync(join(dir, path), text)
}

function repo(gitattributes: string): string {
  const dir = realpathSync(tempDir())
  git(dir, ['init', '-q'])
  write(dir, '.gitattributes', gitattributes)
  return dir
}

/** What the module says for `path`, or null when it declines. */
function fromBlock(dir: string, path: string, env: NodeJS.ProcessEnv = home.env): Record<string, string> | null {
  const paths = repoPaths(dir)
  const block = BlockAttributes.load(dir, paths, env)
  const values = block?.valuesFor(path, () => readIndexFile(join(paths.gitDir, 'index'), 20)) ?? null
  return values && Object.fromEntries(values)
}

/** What git says. */
function checkAttr(dir: string, path: string, env: NodeJS.ProcessEnv = home.env): Record<string, string> {
  const out = git(dir, ['check-attr', '-z', ...ATTRS, '--', path], env)
  return Object.fromEntries(parseCheckAttr(out).get(path) ?? new Map())
}

describe('BlockAttributes', () => {
  it("answers what check-attr prints for the block's secrets", () => {
    const dir = repo(`* text=auto\n*.txt text eol=crlf ident\n${BLOCK}\n# trailing comment\n\n`)
    for (const path of ['secrets/a.txt', 'secrets/deep/b.env', 'x.secret', 'd/e/y.secret']) {
      expect(fromBlock(dir, path), path).toEqual(checkAttr(dir, path))
      expect(fromBlock(dir, path)).toEqual({ text: 'unset', ident: 'unset', 'working-tree-encoding': 'unspecified' })
    }
    // Not a secret line's path, or an excluded one: the block does not decide, git is asked.
    expect(fromBlock(dir, 'README.md')).toBeNull()
    expect(fromBlock(dir, 'secrets/example.txt')).toEqual(checkAttr(dir, 'secrets/example.txt'))
  })

  it('declines whenever something outranks or hides the block', () => {
    const cases: [string, (dir: string) => NodeJS.ProcessEnv | undefined][] = [
      ['a nested .gitattributes in the work tree', (d) => void write(d, 'secrets/.gitattributes', '* text\n')],
      [
        'a nested .gitattributes only in the index',
        (d) => {
          write(d, 'secrets/.gitattributes', '* text\n')
          git(d, ['add', 'secrets/.gitattributes'])
          rmSync(join(d, 'secrets/.gitattributes'))
          return undefined
        },
      ],
      [
        'a nested .gitattributes that is a directory',
        (d) => void mkdirSync(join(d, 'secrets/.gitattributes'), { recursive: true }),
      ],
      ['a rule in info/attributes', (d) => void write(d, '.git/info/attributes', 'secrets/** text\n')],
      ['a rule after the block', (d) => void write(d, '.gitattributes', `${BLOCK}\n* text eol=lf\n`)],
      ['no block', (d) => void write(d, '.gitattributes', 'secrets/** filter=git-seal -text -ident\n')],
      ['no root .gitattributes in the work tree', (d) => void rmSync(join(d, '.gitattributes'))],
      ['an [attr] section in the config (attr.tree)', (d) => void git(d, ['config', 'attr.tree', 'HEAD'])],
      ['a config include', (d) => void git(d, ['config', 'include.path', '/dev/null'])],
      ['GIT_ATTR_SOURCE', () => ({ GIT_ATTR_SOURCE: 'HEAD' })],
      ['attr.tree given with git -c', () => ({ GIT_CONFIG_PARAMETERS: "'attr.tree'='HEAD'" })],
      ['config from GIT_CONFIG_COUNT', () => ({ GIT_CONFIG_COUNT: '0' })],
      ['an include given with git -c', () => ({ GIT_CONFIG_PARAMETERS: "'include.path'='/dev/null'" })],
      [
        'core.ignorecase (git then matches patterns in any case)',
        (d) => void git(d, ['config', 'core.ignorecase', 'true']),
      ],
      [
        'a line with an invalid attribute name after the deciding line (git ignores that line)',
        (d) => void write(d, '.gitattributes', BLOCK.replace('# END', 'secrets/** -text=x ident\n# END')),
      ],
      [
        'a secret line that sets text rather than unsetting it (crlf and eol then decide too)',
        (d) => void write(d, '.gitattributes', BLOCK.replace(/ -text /g, ' text=x ')),
      ],
      [
        'a bracket pattern the module does not match, after the deciding line',
        (d) => void write(d, '.gitattributes', BLOCK.replace('# END', 'secrets/[a-z]* text\n# END')),
      ],
      [
        'a line setting a macro, after the deciding line',
        (d) => void write(d, '.gitattributes', BLOCK.replace('# END', 'secrets/** mymacro\n# END')),
      ],
      [
        'a secret line that leaves ident to lower sources',
        (d) => void write(d, '.gitattributes', BLOCK.replace(/-ident /g, '')),
      ],
    ]
    for (const [name, make] of cases) {
      const dir = repo(`${BLOCK}\n`)
      expect(fromBlock(dir, 'secrets/a.txt'), `${name}: before`).not.toBeNull()
      const extra = make(dir)
      const env = { ...home.env, ...extra }
      expect(fromBlock(dir, 'secrets/a.txt', env), name).toBeNull()
    }
  })

  it('declines a path with characters outside ASCII (git matches bytes)', () => {
    const dir = repo(`${BLOCK}\n`)
    expect(fromBlock(dir, 'secrets/a.txt')).not.toBeNull()
    expect(fromBlock(dir, 'secrets/\u00e4.txt')).toBeNull()
  })

  it('reads each directory once per index: a new index (a rebase step) reads them again', () => {
    const dir = repo(`${BLOCK}\n`)
    const block = BlockAttributes.load(dir, repoPaths(dir), home.env)!
    const first = new Map<string, string>()
    expect(block.valuesFor('secrets/a.txt', () => first)).not.toBeNull()
    write(dir, 'secrets/.gitattributes', '* text\n')
    const second = new Map<string, string>()
    expect(block.valuesFor('secrets/b.txt', () => second)).toBeNull()
    expect(block.valuesFor('secrets/deep/c.txt', () => second)).toBeNull()
    rmSync(join(dir, 'secrets/.gitattributes'))
    expect(block.valuesFor('secrets/b.txt', () => new Map([['secrets/.gitattributes', 'x']]))).toBeNull()
    expect(block.valuesFor('secrets/b.txt', () => new Map())).not.toBeNull()
  })

  it('the loader starts no check-attr child ahead where the block likely decides, and does elsewhere', () => {
    const dir = repo(`${BLOCK}\n# a comment\n`)
    expect(blockLikelyDecides(dir)).toBe(true)
    write(dir, '.git/info/attributes', '# nothing yet\n')
    expect(blockLikelyDecides(dir)).toBe(false)
    expect(blockLikelyDecides(repo(`${BLOCK}\n* text\n`))).toBe(false)
    expect(blockLikelyDecides(repo('* text\n'))).toBe(false)
    expect(blockLikelyDecides(dirname(dir))).toBe(false) // no repository here
  })

  it('simple patterns match as git matches them; other syntax is left to git', () => {
    const table: [string, string, boolean][] = [
      ['secrets/**', 'secrets/a', true],
      ['secrets/**', 'secrets/a/b', true],
      ['secrets/**', 'secrets', false],
      ['secrets/**', 'x/secrets/a', false],
      ['*.secret', 'a/b/c.secret', true],
      ['*.secret', 'c.secret.txt', false],
      ['/top.env', 'top.env', true],
      ['/top.env', 'd/top.env', false],
      ['a/*/b', 'a/x/b', true],
      ['a/*/b', 'a/x/y/b', false],
      ['a/**/b', 'a/b', true],
      ['a/**/b', 'a/x/y/b', true],
      ['**/b', 'x/y/b', true],
      ['a?c', 'd/abc', true],
      ['a?c', 'a/c', false],
      ['a.c', 'abc', false],
      ['a**b', 'axyb', true],
      ['a**b', 'ax/yb', false],
    ]
    for (const [pattern, path, matches] of table) {
      expect(simplePatternRegex(pattern)?.test(path), `${pattern} ${path}`).toBe(matches)
      const dir = repo(`${pattern} ident\n`)
      expect(checkAttr(dir, path)['ident'] === 'set', `git: ${pattern} ${path}`).toBe(matches)
    }
    for (const pattern of ['secrets/[ab]*', 'a\\*b', '"quoted name"', '!negated', 'dir/'])
      expect(simplePatternRegex(pattern), pattern).toBeNull()
  })

  it('property: in repositories made at random, an answer is always what check-attr prints', () => {
    const line = fc.constantFrom(
      '* text',
      '* text=auto eol=crlf',
      '*.txt -text',
      '*.txt ident',
      '** working-tree-encoding=UTF-16',
      '* !text',
      'a* binary',
      '[attr]mymacro text ident',
      '* mymacro',
      'secrets/** text',
      'secrets/[a-z]*.txt ident',
      '*.secret !ident',
      '* eol=crlf',
      '*.txt crlf',
      '* -text=x ident',
      'secrets/** text=auto',
      '"secrets/*.txt" ident',
    )
    const where = fc.constantFrom(
      '.gitattributes (before the block)',
      '.gitattributes (after the block)',
      'secrets/.gitattributes',
      'secrets/deep/.gitattributes',
      '.git/info/attributes',
      'global',
      'nowhere',
    )
    const paths = ['secrets/a.txt', 'secrets/deep/b.txt', 'x.secret', 'secrets/example.txt', 'other.txt']
    let answered = 0
    fc.assert(
      fc.property(fc.array(fc.tuple(where, line), { maxLength: 4 }), (placed) => {
        const dir = realpathSync(tempDir())
        git(dir, ['init', '-q'])
        const files = new Map<string, string[]>()
        const before: string[] = []
        const after: string[] = []
        for (const [at, l] of placed) {
          if (at === '.gitattributes (before the block)') before.push(l)
          else if (at === '.gitattributes (after the block)') after.push(l)
          else if (at !== 'nowhere') files.set(at, [...(files.get(at) ?? []), l])
        }
        write(dir, '.gitattributes', [...before, BLOCK, ...after, ''].join('\n'))
        // The global attributes file, where core.attributesFile says (outside the work tree).
        const env = { ...home.env, GIT_CONFIG_PARAMETERS: `'core.attributesfile'='${join(dir, '.git', 'global')}'` }
        for (const [file, lines] of files) write(dir, file === 'global' ? '.git/global' : file, `${lines.join('\n')}\n`)
        for (const path of paths) {
          const ours = fromBlock(dir, path, env)
          if (ours === null) continue
          answered++
          expect(ours, `${path} with ${JSON.stringify(placed)}`).toEqual(checkAttr(dir, path, env))
        }
      }),
      { numRuns: 40 },
    )
    expect(answered).toBeGreaterThan(0)
  })
})
