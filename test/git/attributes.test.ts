// git check-attr: the -z parser on canned output (git 2.39), the persistent batch and the
// tree query against real git, and which attributes rewrite a filtered blob, held to what git
// itself does to the same bytes (`git hash-object --path`).
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  CONVERSION_ATTRIBUTES,
  CheckAttrBatch,
  TreeAttributes,
  attributeFilesFor,
  checkAttrs,
  conversionsOf,
  parseAutoCrlf,
  parseCheckAttr,
  type AutoCrlf,
} from '../../src/git/attributes.js'
import { lsTree } from '../../src/git/plumbing.js'
import { manglingAttributes } from '../../src/seal/conversions.js'
import { newHome, tempDir } from '../helpers/repo.js'

describe('parseCheckAttr (check-attr -z)', () => {
  const cases: [string, string, [string, string, string][]][] = [
    [
      'two attributes of one path',
      'a b.txt\x00text\x00set\x00a b.txt\x00eol\x00lf\x00',
      [
        ['a b.txt', 'text', 'set'],
        ['a b.txt', 'eol', 'lf'],
      ],
    ],
    [
      'odd paths and values',
      'd/new\nline\x00filter\x00git-seal\x00x\u2028y\r\x00working-tree-encoding\x00UTF-16\x00',
      [
        ['d/new\nline', 'filter', 'git-seal'],
        ['x\u2028y\r', 'working-tree-encoding', 'UTF-16'],
      ],
    ],
    [
      'unset and unspecified',
      'p\x00text\x00unset\x00p\x00ident\x00unspecified\x00',
      [
        ['p', 'text', 'unset'],
        ['p', 'ident', 'unspecified'],
      ],
    ],
    ['a record cut short is left out', 'p\x00text\x00set\x00q\x00text\x00', [['p', 'text', 'set']]],
    ['nothing', '', []],
  ]
  for (const [name, out, expected] of cases) {
    it(name, () => {
      const flat = [...parseCheckAttr(out)].flatMap(([path, row]) =>
        [...row].map(([attr, value]) => [path, attr, value]),
      )
      expect(flat).toEqual(expected)
    })
  }
})

describe('parseAutoCrlf', () => {
  it.each([
    [null, 'false'],
    ['true', 'true'],
    ['TRUE', 'true'],
    ['yes', 'true'],
    ['on', 'true'],
    ['1', 'true'],
    ['input', 'input'],
    ['false', 'false'],
    ['no', 'false'],
    ['0', 'false'],
    ['', 'false'],
    ['bogus', 'false'],
  ] as [string | null, AutoCrlf][])('%s -> %s', (value, expected) => expect(parseAutoCrlf(value)).toBe(expected))
})

describe('conversionsOf', () => {
  const row = (attrs: Record<string, string>): Map<string, string> =>
    new Map(CONVERSION_ATTRIBUTES.map((a) => [a, attrs[a] ?? 'unspecified']))
  const never = (): AutoCrlf => {
    throw new Error('core.autocrlf asked when attributes decide')
  }
  it.each([
    [{ text: 'unset' }, []],
    [{ text: 'unset', eol: 'crlf', crlf: 'set' }, []],
    [{ text: 'set' }, ['text']],
    [{ text: 'set', eol: 'lf' }, ['text eol=lf']],
    [{ text: 'auto' }, ['text=auto']],
    [{ text: 'input' }, ['text=input']],
    [{ eol: 'crlf' }, ['eol=crlf']],
    [{ crlf: 'set' }, ['crlf']],
    [{ crlf: 'unset', eol: 'lf' }, []],
    [{ text: 'bogus', crlf: 'input' }, ['crlf=input']],
    [{ text: 'unset', ident: 'set' }, ['ident']],
    [{ text: 'unset', 'working-tree-encoding': 'UTF-16' }, ['working-tree-encoding=UTF-16']],
    [{ text: 'unset', 'working-tree-encoding': 'utf8' }, []],
    [{ text: 'unset', 'working-tree-encoding': 'UTF-8' }, []],
    [
      { text: 'set', ident: 'set', 'working-tree-encoding': 'SHIFT-JIS' },
      ['text', 'ident', 'working-tree-encoding=SHIFT-JIS'],
    ],
  ] as [Record<string, string>, string[]][])('%o -> %o', (attrs, expected) => {
    expect(conversionsOf(row(attrs), never).map((c) => c.setting)).toEqual(expected)
  })

  it('asks core.autocrlf only when no attribute decides', () => {
    expect(conversionsOf(row({}), () => 'true').map((c) => c.setting)).toEqual(['core.autocrlf=true'])
    expect(conversionsOf(row({ text: 'bogus' }), () => 'input').map((c) => c.setting)).toEqual(['core.autocrlf=input'])
    expect(conversionsOf(row({}), () => 'false')).toEqual([])
  })
})

function repoWith(
  files: Record<string, string>,
  config: Record<string, string> = {},
): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = tempDir('git-seal-attrs-')
  const { env } = newHome()
  spawnSync('git', ['init', '-q'], { cwd: dir, env })
  for (const [k, v] of Object.entries(config)) spawnSync('git', ['config', k, v], { cwd: dir, env })
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true })
    writeFileSync(join(dir, path), content, 'latin1')
  }
  return { dir, env }
}

describe('conversionsOf agrees with what git does to the bytes', () => {
  // CRLF pairs, an expanded $Id$ and a Latin-1 byte: every conversion would change something.
  const content = 'a\r\nb\n$Id: 0123 $\n\xe9\n'
  const cases: [string, AutoCrlf][] = [
    ['', 'false'],
    ['', 'true'],
    ['', 'input'],
    ['text', 'false'],
    ['-text', 'true'],
    ['-text eol=lf', 'false'],
    ['eol=lf', 'false'],
    ['eol=crlf', 'false'],
    ['text=auto', 'false'],
    ['text=auto eol=lf', 'false'],
    ['crlf', 'false'],
    ['-crlf', 'true'],
    ['crlf=input', 'false'],
    ['-text crlf', 'false'],
    ['!text crlf', 'false'],
    ['text=bogus', 'false'],
    ['text=bogus', 'true'],
    ['text=bogus eol=lf', 'false'],
    ['-crlf eol=lf', 'false'],
    ['ident', 'false'],
    ['-text ident', 'false'],
    ['-text -ident', 'false'],
    ['binary', 'true'],
    ['-text working-tree-encoding=ISO-8859-1', 'false'],
    ['-text working-tree-encoding=UTF-8', 'false'],
    ['-text working-tree-encoding=utf8', 'false'],
    ['text !text', 'false'],
    ['text !text', 'true'],
  ]
  it.each(cases)("'f %s' with core.autocrlf=%s", (attrs, autocrlf) => {
    const { dir, env } = repoWith(
      { '.gitattributes': `f ${attrs}\n`, f: content },
      { 'core.autocrlf': autocrlf, 'core.safecrlf': 'false' },
    )
    const hash = (...args: string[]): string =>
      spawnSync('git', ['hash-object', ...args, 'f'], { cwd: dir, env })
        .stdout.toString()
        .trim()
    const gitRewrites = hash('--path=f') !== hash('--no-filters')
    const ours = conversionsOf(checkAttrs(dir, CONVERSION_ATTRIBUTES, ['f'], { env }).get('f')!, () => autocrlf)
    expect(ours.length > 0).toBe(gitRewrites)
  })
})

describe('CheckAttrBatch', () => {
  const paths = ['a.txt', 'secrets/b.txt', 'secrets/deep/c d.txt', 'x\ny', 'ünï/名前', 'secrets/z\u2028']
  const setup = (): { dir: string; env: NodeJS.ProcessEnv } =>
    repoWith({ '.gitattributes': '* text\nsecrets/** -text\n', 'secrets/.gitattributes': 'deep/** ident\n' })

  it('answers path after path, pipelined, as the one-shot query does', async () => {
    const { dir, env } = setup()
    const batch = new CheckAttrBatch(dir, CONVERSION_ATTRIBUTES, env)
    try {
      const first = await batch.get('a.txt')
      expect(first.get('text')).toBe('set')
      const many = await Promise.all([...paths, ...paths].map((p) => batch.get(p)))
      const once = checkAttrs(dir, CONVERSION_ATTRIBUTES, paths, { env })
      expect(many).toEqual([...paths, ...paths].map((p) => once.get(p)))
      expect(many[2]!.get('ident')).toBe('set')
      expect(many[1]!.get('text')).toBe('unset')
    } finally {
      batch.close()
    }
  })

  it('rejects when git refuses the path, and starts again on the next question', async () => {
    const { dir, env } = setup()
    const batch = new CheckAttrBatch(dir, ['text'], env)
    try {
      await expect(batch.get('../outside')).rejects.toThrow('git check-attr exited')
      expect((await batch.get('a.txt')).get('text')).toBe('set')
    } finally {
      batch.close()
    }
  })
})

describe('attributes of a tree (verify: git < 2.40 has no check-attr --source)', () => {
  it('reads the .gitattributes of each tree, not the work tree, in a bare clone too', () => {
    const { dir, env } = repoWith({
      '.gitattributes': 'secrets/** -text\n',
      'secrets/.gitattributes': '* text eol=lf\n',
      'secrets/a': 'a\n',
    })
    const git = (...args: string[]): string => spawnSync('git', args, { cwd: dir, env }).stdout.toString().trim()
    git('add', '.')
    git('commit', '-qm', 'with the nested file')
    git('rm', '-q', 'secrets/.gitattributes')
    git('commit', '-qm', 'without')
    // The work tree says the opposite of HEAD~1 and HEAD.
    writeFileSync(join(dir, 'secrets', '.gitattributes'), '* ident\n')
    expect(
      [...manglingAttributes(dir, ['secrets/a'], { source: 'HEAD~1' })].map(([p, c]) => [p, c.map((x) => x.setting)]),
    ).toEqual([['secrets/a', ['text eol=lf']]])
    expect(manglingAttributes(dir, ['secrets/a'], { source: 'HEAD' }).size).toBe(0)
    expect([...manglingAttributes(dir, ['secrets/a'])].map(([p, c]) => [p, c.map((x) => x.setting)])).toEqual([
      ['secrets/a', ['ident']],
    ])

    const bare = tempDir('git-seal-bare-')
    spawnSync('git', ['clone', '-q', '--bare', dir, bare], { env })
    const trees = new TreeAttributes(bare, env)
    try {
      const old = trees.check(lsTree(bare, 'HEAD~1', { env })!, ['text', 'eol'], ['secrets/a', 'other'])
      expect(old.get('secrets/a')?.get('eol')).toBe('lf')
      expect(old.get('other')?.get('text')).toBe('unspecified')
      expect(
        trees
          .check(lsTree(bare, 'HEAD', { env })!, ['text'], ['secrets/a'])
          .get('secrets/a')
          ?.get('text'),
      ).toBe('unset')
    } finally {
      trees.close()
    }
  })
})

describe('attributeFilesFor', () => {
  it('lists the files git reads for a path, the strongest first', () => {
    const { dir } = repoWith({
      '.gitattributes': '',
      'a/.gitattributes': '',
      'a/b/c/.gitattributes': '',
      '.git/info/attributes': '',
    })
    const global = join(dir, 'global-attributes')
    writeFileSync(global, '')
    expect(attributeFilesFor(dir, join(dir, '.git'), 'a/b/c/d/file', global).map((f) => [f.shown, f.dir])).toEqual([
      ['.git/info/attributes', ''],
      ['a/b/c/.gitattributes', 'a/b/c'],
      ['a/.gitattributes', 'a'],
      ['.gitattributes', ''],
      [global, ''],
    ])
    expect(attributeFilesFor(dir, join(dir, '.git'), 'top', null).map((f) => f.shown)).toEqual([
      '.git/info/attributes',
      '.gitattributes',
    ])
  })
})
