// The guard stamp's rules, read by git as an attributes file, mark exactly the paths the
// config's own matcher calls secrets (never-secret files exempted), and keep the global
// attributes the stamp stands in for.
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { matchingSecrets, parseConfig } from '../../src/config/index.js'
import { RULE_ATTRIBUTE, RULE_VALUE, stampHeader } from '../../src/git/guard-precheck.js'
import { renderGuardStamp } from '../../src/seal/guard-stamp.js'
import { newHome, newKey, simpleConfig, tempDir } from '../helpers/repo.js'

const PATTERNS = [
  '*.secret',
  'secrets/**',
  '/top.env',
  'dir with space/*.txt',
  '[abc].key',
  'deep/**/keys/**',
  'x?y',
  'name"quoted".txt',
]
const PATHS = [
  'a.secret',
  'd/a.secret',
  'secrets/a',
  'secrets/b/c',
  'other/secrets/a',
  'top.env',
  'x/top.env',
  'dir with space/a.txt',
  'dir with space/x/a.txt',
  'a.key',
  'd.key',
  'deep/keys/k',
  'deep/1/keys/k',
  'xzy',
  'x/y',
  'name"quoted".txt',
  'README.md',
  'secrets/.gitattributes',
  'secrets/.sops.yaml',
  'secrets/.gitignore',
  '.gitseal.yaml',
  'secrets/\nodd',
  'a\nb.secret',
]

function checkAttr(stamp: string, attributes: string[], paths: string[]): string[][] {
  const dir = tempDir('git-seal-stamp-')
  const home = newHome()
  spawnSync('git', ['init', '-q'], { cwd: dir, env: home.env })
  const file = join(dir, '.git', 'git-seal-stamp')
  writeFileSync(file, stamp)
  const r = spawnSync('git', ['-c', `core.attributesFile=${file}`, 'check-attr', '--stdin', '-z', ...attributes], {
    cwd: dir,
    env: home.env,
    input: paths.join('\0') + '\0',
  })
  expect(r.status, r.stderr.toString()).toBe(0)
  const fields = r.stdout.toString('utf8').split('\0')
  const rows: string[][] = []
  for (let i = 0; i + 2 < fields.length; i += 3) rows.push([fields[i]!, fields[i + 1]!, fields[i + 2]!])
  return rows
}

describe('guard stamp', () => {
  const key = newKey()
  const config = parseConfig(simpleConfig(PATTERNS, [{ name: 'alice', key: key.recipient }]))
  const input = { stateHash: 'ab'.repeat(20), globalAttributes: '*.md text\n[attr]mine -diff\n' }
  const stamp = renderGuardStamp(config, input)

  it('starts with the header the pre-check compares', () => {
    expect(stamp.split('\n')[0]).toBe(stampHeader(input.stateHash))
  })

  it("marks exactly the config's secrets, by git's own matching", () => {
    const marked = checkAttr(stamp, [RULE_ATTRIBUTE], PATHS)
      .filter(([, , value]) => value === RULE_VALUE)
      .map(([path]) => path)
    const secrets = PATHS.filter((p) => matchingSecrets(config, p).length > 0)
    expect(marked.sort()).toEqual(secrets.sort())
    expect(secrets.length).toBeGreaterThan(8)
    expect(secrets.length).toBeLessThan(PATHS.length - 5)
  })

  it('exempts never-secret files from a rule that covers everything', () => {
    const all = parseConfig(simpleConfig(['**'], [{ name: 'alice', key: key.recipient }]))
    const marked = checkAttr(renderGuardStamp(all, input), [RULE_ATTRIBUTE], PATHS)
      .filter(([, , v]) => v === RULE_VALUE)
      .map(([p]) => p)
    expect(marked.sort()).toEqual(PATHS.filter((p) => matchingSecrets(all, p).length > 0).sort())
    expect(marked).not.toContain('secrets/.gitattributes')
    expect(marked).toContain('README.md')
  })

  it('carries the global attributes file it stands in for', () => {
    expect(checkAttr(stamp, ['text'], ['README.md'])).toEqual([['README.md', 'text', 'set']])
  })
})
