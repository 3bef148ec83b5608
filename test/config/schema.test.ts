// Validation: every problem named with its place; valid configs resolved as documented.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  ConfigError,
  addRecipient,
  attributesUpToDate,
  effectiveFormat,
  findSecret,
  parseConfig,
  removeRecipient,
  renderAttributesBlock,
  updateAttributes,
} from '../../src/config/index.js'
import { newKey } from '../helpers/repo.js'

const A = newKey().recipient
const B = newKey().recipient
const SSH = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOvnpW1a4D4AYN8pQ1Dn1zTt0SqUKXHnOuVtFeXyh1Ad comment'

const base = (
  secrets: string,
  recipients = `      admins:\n        - name: alice\n          key: ${A}\n      targets:\n        - name: server1\n          key: ${B}\n`,
) => `version: 1\ngroups:\n  prod:\n    recipients:\n${recipients}    secrets:\n${secrets}`

describe('valid configs', () => {
  it('resolves admins by default, targets only when named, "*" for all', () => {
    const c = parseConfig(
      base(
        `      api:\n        path: secrets/api.txt\n      srv:\n        path: [srv/*.env]\n        targets: ["*"]\n      narrow:\n        path: n/*\n        admins: [alice]\n        targets: [server1]\n`,
      ),
    )
    expect(c.secrets.map((s) => [s.name, s.recipients.map((r) => r.name)])).toEqual([
      ['api', ['alice']],
      ['srv', ['alice', 'server1']],
      ['narrow', ['alice', 'server1']],
    ])
    expect(findSecret(c, 'secrets/api.txt')?.name).toBe('api')
    expect(findSecret(c, 'other.txt')).toBeNull()
  })

  it('accepts ssh-ed25519 keys and sops options', () => {
    const c = parseConfig(
      base(
        `      s:\n        path: a.yaml\n        unencrypted_suffix: _plain\n        mac_only_encrypted: true\n`,
        `      admins:\n        - name: alice\n          key: ${SSH}\n`,
      ),
    )
    expect(c.groups[0]!.admins[0]!.kind).toBe('ssh-ed25519')
    expect(c.secrets[0]!.sops).toEqual({ unencryptedSuffix: '_plain', macOnlyEncrypted: true })
  })

  it.each([
    ['x.yaml', 'sops'],
    ['x.YML', 'age'],
    ['x.json', 'sops'],
    ['.env', 'sops'],
    ['a.ini', 'sops'],
    ['a.txt', 'age'],
    ['key.pem', 'age'],
  ])('format auto for %s is %s', (path, format) => {
    const c = parseConfig(base(`      s:\n        path: "*"\n`))
    expect(effectiveFormat(c.secrets[0]!, path)).toBe(format)
  })
})

describe('worktree and schema version 2', () => {
  const v2 = (secrets: string) => base(secrets).replace('version: 1', 'version: 2')

  it('worktree defaults to plaintext; version 2 reads it; version 1 configs read as before', () => {
    const c = parseConfig(
      v2('      nix:\n        path: secrets/**\n        worktree: ciphertext\n      app:\n        path: app/*\n'),
    )
    expect(c.version).toBe(2)
    expect(c.secrets.map((s) => [s.name, s.worktree])).toEqual([
      ['nix', 'ciphertext'],
      ['app', 'plaintext'],
    ])
    expect(parseConfig(base('      app:\n        path: app/*\n')).secrets[0]!.worktree).toBe('plaintext')
  })

  it('a later version says what to do: a newer git-seal, then npx git-seal install', () => {
    try {
      parseConfig(v2('      s:\n        path: a\n').replace('version: 2', 'version: 7'))
      expect.unreachable()
    } catch (e) {
      expect((e as ConfigError).hint).toContain("'npx git-seal install'")
    }
  })

  it('ciphertext paths get the git-seal-ct filter driver in the attributes block', () => {
    const c = parseConfig(
      v2('      nix:\n        path: secrets/**\n        worktree: ciphertext\n      app:\n        path: app/*\n'),
    )
    expect(renderAttributesBlock(c).split('\n').slice(1, 3)).toEqual([
      'secrets/** filter=git-seal-ct diff=git-seal merge=git-seal -text -ident !working-tree-encoding',
      'app/* filter=git-seal diff=git-seal merge=git-seal -text -ident !working-tree-encoding',
    ])
  })
})

describe('invalid configs name each problem and where it is', () => {
  it.each([
    [
      'unknown admin',
      base(`      s:\n        path: a\n        admins: [bob]\n`),
      ":14:17: groups.prod.secrets.s.admins: unknown admin 'bob' in group 'prod'",
    ],
    ['unknown target', base(`      s:\n        path: a\n        targets: [db]\n`), "unknown target 'db'"],
    [
      'duplicate recipient',
      base(
        '      s:\n        path: a\n',
        `      admins:\n        - name: alice\n          key: ${A}\n        - name: alice\n          key: ${B}\n`,
      ),
      "duplicate recipient name 'alice'",
    ],
    [
      'duplicate secret across groups',
      `version: 1\ngroups:\n  a:\n    recipients:\n      admins:\n        - {name: x, key: ${A}}\n    secrets:\n      s: {path: a}\n  b:\n    recipients:\n      admins:\n        - {name: x, key: ${A}}\n    secrets:\n      s: {path: b}\n`,
      "duplicate secret name 's' (also in group 'a')",
    ],
    [
      'unparsable key',
      base('      s:\n        path: a\n', `      admins:\n        - name: alice\n          key: age1notakey\n`),
      'alice: not a valid age recipient',
    ],
    [
      'private key pasted',
      base('      s:\n        path: a\n', `      admins:\n        - name: alice\n          key: AGE-SECRET-KEY-1XYZ\n`),
      'this is a private key',
    ],
    [
      'ssh-rsa',
      base(
        '      s:\n        path: a\n',
        `      admins:\n        - name: alice\n          key: ssh-rsa AAAAB3NzaC1yc2E\n`,
      ),
      'ssh-rsa keys are not supported',
    ],
    ['no recipient', base('      s:\n        path: a\n        admins: []\n'), 'ends with no recipient'],
    [
      'wrong version',
      base('      s:\n        path: a\n').replace('version: 1', 'version: 0'),
      'version: must be 1 or 2',
    ],
    [
      'a later version',
      base('      s:\n        path: a\n').replace('version: 1', 'version: 3'),
      'version 3 needs a newer git-seal: this one reads versions 1 to 2 (version 2 is read by git-seal 0.2.0 and later)',
    ],
    [
      'worktree under version 1',
      base('      s:\n        path: a\n        worktree: ciphertext\n'),
      ":14:19: groups.prod.secrets.s.worktree: 'worktree' needs 'version: 2' at the top of the config",
    ],
    [
      'bad worktree',
      base('      s:\n        path: a\n        worktree: encrypted\n').replace('version: 1', 'version: 2'),
      'must be plaintext or ciphertext',
    ],
    ['unknown key', base('      s:\n        path: a\n        paths: b\n'), 'groups.prod.secrets.s.paths: unknown key'],
    ['bad format', base('      s:\n        path: a\n        format: gpg\n'), 'must be auto, age or sops'],
    ['pattern escaping the repo', base('      s:\n        path: ../outside\n'), "'..' escapes the repository"],
    ['braces', base('      s:\n        path: "{a,b}"\n'), 'braces are not expanded'],
    ['bad regex', base('      s:\n        path: a\n        encrypted_regex: "("\n'), 'not a valid regular expression'],
    [
      'two sops rules',
      base('      s:\n        path: a\n        encrypted_regex: x\n        unencrypted_suffix: _u\n'),
      'at most one of',
    ],
    ['aliases', base('      s:\n        path: &p a\n      t:\n        path: *p\n'), 'YAML aliases are not allowed'],
    ['wrong type', base('      s:\n        path: 3\n'), 'expected a string or a list of strings'],
    ['YAML syntax', 'version: 1\ngroups: [\n', '.gitseal.yaml:'],
  ])('%s', (_name, text, message) => {
    expect(() => parseConfig(text)).toThrow(ConfigError)
    expect(() => parseConfig(text)).toThrow(message)
  })

  it('lists every problem at once', () => {
    try {
      parseConfig(base(`      s:\n        path: a\n        admins: [bob]\n        targets: [db]\n`))
      expect.unreachable()
    } catch (e) {
      expect((e as ConfigError).problems).toHaveLength(2)
    }
  })

  it('refuses a file matched by two secrets when it is looked up', () => {
    const c = parseConfig(base('      one:\n        path: "*.txt"\n      two:\n        path: secrets/**\n'))
    expect(() => findSecret(c, 'secrets/a.txt')).toThrow(
      'matched by two secrets: one (group prod) and two (group prod)',
    )
  })

  it('refuses configs over 1 MiB', () => {
    expect(() => parseConfig('#'.repeat((1 << 20) + 1))).toThrow('larger than')
  })
})

describe('.gitattributes block', () => {
  const config = parseConfig(
    base('      s:\n        path: [secrets/**, "dir with space/*.txt", "*.key"]\n      t:\n        path: "*.key"\n'),
  )

  it('renders one line per distinct pattern, quoting blanks, with overrides for the config files', () => {
    expect(renderAttributesBlock(config).split('\n').slice(1, 5)).toEqual([
      'secrets/** filter=git-seal diff=git-seal merge=git-seal -text -ident !working-tree-encoding',
      '"dir with space/*.txt" filter=git-seal diff=git-seal merge=git-seal -text -ident !working-tree-encoding',
      '*.key filter=git-seal diff=git-seal merge=git-seal -text -ident !working-tree-encoding',
      '/.gitseal.yaml !filter !diff !merge',
    ])
  })

  it.each([
    ['empty file', ''],
    ['text without final newline', '*.png binary'],
    [
      'text after an old block',
      `*.png binary\n# BEGIN git-seal old\nold filter=git-seal\n# END git-seal\n*.jpg binary\n`,
    ],
    ['CRLF', '*.png binary\r\n*.jpg binary\r\n'],
  ])('update keeps the rest byte-exact and is idempotent: %s', (_name, existing) => {
    const once = updateAttributes(existing, config)
    expect(attributesUpToDate(once, config)).toBe(true)
    expect(updateAttributes(once, config)).toBe(once)
    for (const line of existing.split(/\r?\n/).filter((l) => l && !/git-seal|^old/.test(l)))
      expect(once).toContain(line)
    if (existing.includes('\r\n')) expect(once.replace(/\r\n/g, '')).not.toContain('\n')
    expect(attributesUpToDate(existing, config)).toBe(false)
  })

  it('keeps text outside the block (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z*./ ]{0,20}$/), { maxLength: 8 }), (lines) => {
        const existing = lines.join('\n')
        const once = updateAttributes(existing, config)
        expect(once.startsWith(existing)).toBe(true)
        expect(updateAttributes(once, config)).toBe(once)
      }),
    )
  })
})

describe('editing the config in place', () => {
  const golden = `# git-seal config for the platform team
version: 1
groups:
  prod:   # production
    recipients:
      admins:
        # the on-call admins
        - name: alice
          key: ${A}
    secrets:
      # API keys rotate every quarter
      api:
        path: secrets/api.txt
`

  it('add-recipient changes nothing but the inserted lines (golden)', () => {
    const after = addRecipient(golden, 'prod', 'admin', 'bob', B)
    expect(after).toBe(
      golden.replace(`          key: ${A}\n`, `          key: ${A}\n        - name: bob\n          key: ${B}\n`),
    )
  })

  it('remove-recipient of a block entry removes exactly its lines (golden)', () => {
    const withBob = addRecipient(golden, 'prod', 'admin', 'bob', B)
    expect(removeRecipient(withBob, 'bob').text).toBe(golden)
  })

  it('add-recipient keeps every comment and line', () => {
    const after = addRecipient(golden, 'prod', 'admin', 'bob', B)
    for (const line of golden.trimEnd().split('\n')) expect(after).toContain(line.trimEnd())
    expect(after).toContain(`- name: bob\n          key: ${B}`)
    expect(parseConfig(after).groups[0]!.admins.map((r) => r.name)).toEqual(['alice', 'bob'])
  })

  it('adds a targets list when there is none', () => {
    const after = addRecipient(golden, 'prod', 'target', 'server1', B)
    expect(parseConfig(after).groups[0]!.targets.map((r) => r.name)).toEqual(['server1'])
    expect(after).toContain('# API keys rotate every quarter')
  })

  it('refuses a duplicate name', () => {
    expect(() => addRecipient(golden, 'prod', 'target', 'alice', B)).toThrow('already has a recipient named alice')
  })

  it('remove-recipient keeps comments and drops mentions in secrets', () => {
    const withBob = addRecipient(golden, 'prod', 'admin', 'bob', B).replace(
      '        path: secrets/api.txt',
      '        path: secrets/api.txt\n        admins: [alice, bob]',
    )
    const { text, removedFrom } = removeRecipient(withBob, 'bob')
    expect(removedFrom).toEqual(['prod'])
    expect(text).toContain('# the on-call admins')
    expect(text).toContain('# production')
    expect(text).not.toContain('bob')
    expect(parseConfig(text).secrets[0]!.recipients.map((r) => r.name)).toEqual(['alice'])
  })
})
