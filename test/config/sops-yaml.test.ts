// .sops.yaml both ways: creation_rules from .gitseal.yaml (sops-config), and .gitseal.yaml
// from creation_rules (init --from-sops). Regexes and globs must select the same paths.
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { creationRules, globToRegex } from '../../src/commands/sops-config.js'
import { compilePattern, configFromSops, parseConfig, regexToGlob } from '../../src/config/index.js'
import { newKey } from '../helpers/repo.js'

const PATHS = ['a.yaml', 'secrets/a.yaml', 'secrets/x/b.yaml', 'x/secrets/a.yaml', 'prod/app.enc.json', 'app.enc.json', 'a.yml', '.env', 'x/.env', 'secrets', 'b.txt', 'dir/a b.yaml']

describe('globs as sops path_regex (sops-config)', () => {
  it.each(['*.yaml', 'secrets/**', 'secrets/*.yaml', '**/*.enc.json', '/secrets/**/b.yaml', '.env', '[ab].txt', 'dir/a b.yaml'])('%s selects the same paths', (glob) => {
    const re = new RegExp(globToRegex(glob))
    const match = compilePattern(glob)
    expect(PATHS.filter((p) => re.test(p))).toEqual(PATHS.filter(match))
  })

  it('writes one creation rule per secret with its age recipients', () => {
    const a = newKey().recipient
    const b = newKey().recipient
    const config = parseConfig(`version: 1\ngroups:\n  prod:\n    recipients:\n      admins:\n        - {name: alice, key: ${a}}\n      targets:\n        - {name: srv, key: ${b}}\n    secrets:\n      app:\n        path: "secrets/**"\n        targets: [srv]\n        encrypted_regex: "^(data|stringData)$"\n`)
    const rules = (parse(creationRules(config)) as { creation_rules: Record<string, string>[] }).creation_rules
    expect(rules).toEqual([{ path_regex: globToRegex('secrets/**'), age: `${a},${b}`, encrypted_regex: '^(data|stringData)$' }])
  })
})

describe('.sops.yaml path_regex as globs (init --from-sops)', () => {
  it.each([
    ['secrets/.*\\.yaml$', true],
    ['^secrets/.*', true],
    ['.*\\.enc\\.json$', true],
    ['\\.env$', true],
    ['(dev|prod)/.*', false],
  ])('%s', (regex, translatable) => {
    const glob = regexToGlob(regex)
    if (!translatable) {
      expect(glob).toBeNull()
      return
    }
    const re = new RegExp(regex)
    expect(PATHS.filter(compilePattern(glob!))).toEqual(PATHS.filter((p) => re.test(p)))
  })

  it('turns creation_rules into a valid config, keeping untranslatable regexes as TODOs', () => {
    const a = newKey().recipient
    const b = newKey().recipient
    const text = configFromSops(`creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    age: "${a},${b}"\n    encrypted_regex: "^data$"\n  - path_regex: (dev|prod)/.*\n    age: [${a}]\n`)
    const config = parseConfig(text)
    expect(config.secrets.map((s) => [s.name, s.patterns, s.recipients.map((r) => r.key), s.format])).toEqual([
      ['rule-1', ['**/secrets/**/*.yaml'], [a, b], 'sops'],
      ['rule-2', ['TODO-rule-2'], [a], 'sops'],
    ])
    expect(config.secrets[0]!.sops.encryptedRegex).toBe('^data$')
    expect(text).toContain('# TODO translate path_regex "(dev|prod)/.*"')
  })
})
