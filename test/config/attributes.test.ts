// The generated .gitattributes block: last in the file, and never covering the files git, sops
// and git-seal read in plaintext; the config agrees, and refuses patterns naming only those.
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  ConfigError,
  attributesBlockProblem,
  attributesUpToDate,
  isNeverSecret,
  matchingSecrets,
  parseConfig,
  renderAttributesBlock,
  updateAttributes,
} from '../../src/config/index.js'
import { newHome, newKey, simpleConfig, tempDir } from '../helpers/repo.js'

const KEY = newKey().recipient
const config = (paths: string[]) => parseConfig(simpleConfig(paths, [{ name: 'alice', key: KEY }]))

describe('the block goes last', () => {
  const c = config(['secrets/**'])
  const block = renderAttributesBlock(c)

  it.each([
    ['a line after it', `*.png binary\n${block}* text eol=lf\n`, `*.png binary\n* text eol=lf\n${block}`],
    [
      'a stale block with a line after it, no final newline',
      `# BEGIN git-seal old\nold filter=git-seal\n# END git-seal\n* text`,
      `* text\n${block}`,
    ],
    [
      'CRLF, lines after it',
      `a -text\r\n${block.replace(/\n/g, '\r\n')}b text\r\n`,
      `a -text\r\nb text\r\n${block.replace(/\n/g, '\r\n')}`,
    ],
    [
      'only comments and blank lines after it: they stay',
      `x binary\n${block}\n# a comment\n`,
      `x binary\n${block}\n# a comment\n`,
    ],
  ])('%s', (_name, existing, expected) => {
    expect(updateAttributes(existing, c)).toBe(expected)
    expect(attributesUpToDate(expected, c)).toBe(true)
    expect(updateAttributes(expected, c)).toBe(expected)
  })

  it('a block followed by attribute lines is out of date, and says so', () => {
    expect(attributesUpToDate(`${block}* text\n`, c)).toBe(false)
    expect(attributesBlockProblem(`${block}* text\n`, c)).toBe('not-last')
    expect(attributesUpToDate(`${block}  # indented comment\n\n`, c)).toBe(true)
    expect(attributesBlockProblem(`${block}  # indented comment\n\n`, c)).toBe(null)
    expect(attributesBlockProblem('* text\n', c)).toBe('missing')
    expect(attributesBlockProblem(renderAttributesBlock(config(['other/**'])), c)).toBe('stale')
    expect(attributesBlockProblem(block.replace(/\n/g, '\r\n') + 'x text\r\n', c)).toBe('not-last')
  })
})

describe('files never encrypted', () => {
  const never = [
    '.gitattributes',
    'a/b/.gitattributes',
    '.gitignore',
    'x/.gitignore',
    '.sops.yaml',
    'deploy/.sops.yaml',
    '.gitseal.yaml',
    '.gitmodules',
    '.mailmap',
  ]
  const ordinary = [
    'sub/.gitseal.yaml',
    'sub/.gitmodules',
    'sub/.mailmap',
    '.gitkeep',
    '.gitignore.bak',
    'x.gitattributes',
    'app.txt',
    '.git-blame-ignore-revs',
  ]

  it("a '**' rule matches none of them, and everything else", () => {
    const c = config(['**'])
    for (const path of never) expect(matchingSecrets(c, path), path).toEqual([])
    for (const path of ordinary) expect(matchingSecrets(c, path).length, path).toBe(1)
    for (const path of never) expect(isNeverSecret(path), path).toBe(true)
    for (const path of ordinary) expect(isNeverSecret(path), path).toBe(false)
  })

  it('answers the same when asked again, past its memory, and hands out copies', () => {
    // matchingSecrets remembers its answers per config (a filter asks several times per path).
    const c = parseConfig(simpleConfig(['secrets/**', 'env/*.env'], [{ name: 'alice', key: KEY }]))
    const paths = Array.from({ length: 5000 }, (_, i) =>
      i % 3 === 0 ? `secrets/s${i}.txt` : i % 3 === 1 ? `env/e${i}.env` : `src/f${i}.ts`,
    )
    const first = paths.map((p) => matchingSecrets(c, p).map((r) => r.name))
    for (const [i, p] of paths.entries()) expect(matchingSecrets(c, p).map((r) => r.name)).toEqual(first[i])
    expect(first[0]).toHaveLength(1)
    expect(first[2]).toEqual([])
    const answer = matchingSecrets(c, 'secrets/s0.txt')
    answer.length = 0
    expect(matchingSecrets(c, 'secrets/s0.txt')).toHaveLength(1)
    // Another config object (an edited file) is asked afresh.
    expect(matchingSecrets(config(['env/**']), 'secrets/s0.txt')).toEqual([])
  })

  it('git reads the block the same way: check-attr leaves exactly those unfiltered', () => {
    const dir = tempDir('git-seal-never-')
    const { env } = newHome()
    spawnSync('git', ['init', '-q'], { cwd: dir, env })
    writeFileSync(join(dir, '.gitattributes'), renderAttributesBlock(config(['**', '*.yaml', '.git*'])))
    const paths = [...never, ...ordinary]
    const out = spawnSync('git', ['check-attr', '--stdin', '-z', 'filter'], {
      cwd: dir,
      env,
      input: paths.join('\0') + '\0',
    })
      .stdout.toString()
      .split('\0')
    const filtered = new Set<string>()
    for (let i = 0; i + 2 < out.length; i += 3) if (out[i + 2] === 'git-seal') filtered.add(out[i]!)
    expect(paths.filter((p) => !filtered.has(p))).toEqual(never)
  })

  it.each([
    '.gitignore',
    'secrets/.gitignore',
    '**/.gitattributes',
    'deploy/.sops.yaml',
    '.gitmodules',
    '/.mailmap',
    '**/.gitseal.yaml',
  ])('refuses the pattern %s', (pattern) => {
    expect(() => config([pattern])).toThrow(ConfigError)
    expect(() => config([pattern])).toThrow('is never encrypted')
  })

  it.each(['**', '*', '.*', '.git*', '*.yaml', 'sub/.mailmap', 'sub/.gitmodules'])(
    'accepts the pattern %s',
    (pattern) => {
      expect(config([pattern]).secrets[0]!.patterns).toEqual([pattern])
    },
  )
})
