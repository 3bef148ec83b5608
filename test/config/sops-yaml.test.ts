// creation_rules from .gitseal.yaml (sops-config): regexes and globs must select the same paths.
// The other way (init --from-sops) is test/config/from-sops.test.ts.
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { patternToRegex as globToRegex } from '../../src/config/index.js'
import { creationRules } from '../../src/operations/sops-config.js'
import { compilePattern, parseConfig } from '../../src/config/index.js'
import { newKey } from '../helpers/repo.js'

const PATHS = [
  'a.yaml',
  'secrets/a.yaml',
  'secrets/x/b.yaml',
  'x/secrets/a.yaml',
  'prod/app.enc.json',
  'app.enc.json',
  'a.yml',
  '.env',
  'x/.env',
  'secrets',
  'b.txt',
  'dir/a b.yaml',
]

describe('globs as sops path_regex (sops-config)', () => {
  it.each([
    '*.yaml',
    'secrets/**',
    'secrets/*.yaml',
    '**/*.enc.json',
    '/secrets/**/b.yaml',
    '.env',
    '[ab].txt',
    'dir/a b.yaml',
  ])('%s selects the same paths', (glob) => {
    const re = new RegExp(globToRegex(glob))
    const match = compilePattern(glob)
    expect(PATHS.filter((p) => re.test(p))).toEqual(PATHS.filter(match))
  })

  it('writes one creation rule per secret with its age recipients', () => {
    const a = newKey().recipient
    const b = newKey().recipient
    const config = parseConfig(
      `version: 1\ngroups:\n  prod:\n    recipients:\n      admins:\n        - {name: alice, key: ${a}}\n      targets:\n        - {name: srv, key: ${b}}\n    secrets:\n      app:\n        path: "secrets/**"\n        targets: [srv]\n        encrypted_regex: "^(data|stringData)$"\n`,
    )
    const rules = (parse(creationRules(config)) as { creation_rules: Record<string, string>[] }).creation_rules
    expect(rules).toEqual([
      { path_regex: globToRegex('secrets/**'), age: `${a},${b}`, encrypted_regex: '^(data|stringData)$' },
    ])
  })
})
