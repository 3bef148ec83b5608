/**
 * The comment-regex rules (issue 13 item 7) as rule options, like the other four: in
 * .gitseal.yaml, in the .sops.yaml import and export, and through git to the stored document.
 */
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { creationRules } from '../../src/operations/sops-config.js'
import { importSopsConfig, parseConfig } from '../../src/config/index.js'
import { readSopsMetadata } from '../../src/formats/sops/index.js'
import { expectNoLeak, newHome, newKey, Repo, simpleConfig } from '../helpers/repo.js'

const a = newKey().recipient
const config = (extra: string): string => simpleConfig(['secrets/**'], [{ name: 'alice', key: a }], extra)

describe('encrypted_comment_regex and unencrypted_comment_regex as rule options', () => {
  it.each([
    ['encrypted_comment_regex', 'encryptedCommentRegex'],
    ['unencrypted_comment_regex', 'unencryptedCommentRegex'],
  ])('%s in .gitseal.yaml', (option, field) => {
    const parsed = parseConfig(config(`        ${option}: "sops:enc"`))
    expect(parsed.secrets[0]!.sops).toEqual({ [field]: 'sops:enc' })
  })

  it('counts as one of the rules, at most one of which may be set (as in sops)', () => {
    expect(() => parseConfig(config('        encrypted_comment_regex: x\n        unencrypted_suffix: _u'))).toThrow(
      /at most one of .*encrypted_comment_regex/,
    )
    expect(() => parseConfig(config('        encrypted_comment_regex: "("'))).toThrow(/not a valid regular expression/)
  })

  it('is written to .sops.yaml by sops-config, and read from it by init --from-sops', () => {
    const rules = (
      parse(creationRules(parseConfig(config('        unencrypted_comment_regex: "^ public"')))) as {
        creation_rules: Record<string, string>[]
      }
    ).creation_rules
    expect(rules[0]).toMatchObject({ unencrypted_comment_regex: '^ public' })
    const imported = parseConfig(
      importSopsConfig(
        `creation_rules:\n  - path_regex: secrets/.*\n    age: ${a}\n    encrypted_comment_regex: "sops:enc"\n`,
      ).config,
    )
    expect(imported.secrets[0]!.sops).toEqual({ encryptedCommentRegex: 'sops:enc' })
  })

  it('reaches the stored document through git, and checkout gives the file back', () => {
    const key = newKey()
    const home = newHome()
    home.installKey(key)
    const repo = Repo.init(home)
    repo.write(
      '.gitseal.yaml',
      simpleConfig(
        ['secrets/**'],
        [{ name: 'alice', key: key.recipient }],
        '        encrypted_comment_regex: "sops:enc"',
      ),
    )
    expect(repo.seal('sync').status).toBe(0)
    expect(repo.seal('install').status).toBe(0)
    const plain = 'db:\n  host: db.internal\n  # sops:enc\n  password: MARKER-hunter2\n  port: 5432\n'
    repo.write('secrets/app.yaml', plain)
    repo.git('add', '.')
    repo.git('commit', '-qm', 'comment regex')
    const blob = repo.blob('HEAD:secrets/app.yaml')
    expect(readSopsMetadata(blob, 'yaml')!.rules).toEqual({ encryptedCommentRegex: 'sops:enc' })
    expect(
      blob
        .toString()
        .split('sops:\n')[0]!
        .replace(/ENC\[[^\]]*\]/g, 'ENC'),
    ).toBe('db:\n  host: db.internal\n  # sops:enc\n  password: ENC\n  port: 5432\n')
    repo.git('rm', '-q', '--cached', 'secrets/app.yaml')
    repo.git('checkout', 'HEAD', '--', 'secrets/app.yaml')
    expect(repo.read('secrets/app.yaml').toString()).toBe(plain)
    expect(repo.status()).toBe('')
    expectNoLeak(repo, 'MARKER-hunter2')
  })
})

import { SOPS_RULE_NAMES } from '../../src/formats/sops/rule-names.js'

describe('one table of sops rule names (src/formats/sops/rule-names.ts) for config, import and export', () => {
  const value = (name: string): string | boolean =>
    name === 'mac_only_encrypted' ? true : name.endsWith('regex') ? '^x' : '_s'
  it.each(Object.entries(SOPS_RULE_NAMES))(
    '%s: read from .gitseal.yaml, written to .sops.yaml, read back from it',
    (name, ours) => {
      const parsed = parseConfig(config(`        ${name}: ${JSON.stringify(value(name))}`))
      expect(parsed.secrets[0]!.sops).toEqual({ [ours]: value(name) })
      const rules = (parse(creationRules(parsed)) as { creation_rules: Record<string, unknown>[] }).creation_rules
      expect(rules[0]![name]).toEqual(value(name))
      const imported = parseConfig(
        importSopsConfig(
          `creation_rules:\n  - path_regex: secrets/.*\n    age: ${a}\n    ${name}: ${JSON.stringify(value(name))}\n`,
        ).config,
      )
      expect(imported.secrets[0]!.sops).toEqual({ [ours]: value(name) })
    },
  )

  it('a config names every rule when it lists what a secret may hold', () => {
    const message = (() => {
      try {
        parseConfig(config('        colour: red'))
      } catch (e) {
        return (e as Error).message
      }
      return ''
    })()
    for (const name of Object.keys(SOPS_RULE_NAMES)) expect(message).toContain(name)
  })
})
