// The top-level people list: declared once, referenced by name; needs version 2.
import { describe, expect, it } from 'vitest'
import { type ConfigError, parseConfig } from '../../src/config/index.js'
import { newKey } from '../helpers/repo.js'

const A = newKey().recipient
const B = newKey().recipient

const config = (version: number, people: string, admins: string) =>
  `version: ${version}\npeople:\n${people}groups:\n  dev:\n    recipients:\n      admins:\n${admins}    secrets:\n      s:\n        path: s/**\n`

function problems(text: string): string[] {
  try {
    parseConfig(text)
  } catch (e) {
    return (e as ConfigError).problems
  }
  return []
}

describe('people', () => {
  it('a group names people; the inline form is read next to it', () => {
    const c = parseConfig(
      config(
        2,
        `  - name: alice\n    key: ${A}\n    comment: laptop\n`,
        `        - alice\n        - name: ci\n          key: ${B}\n`,
      ),
    )
    expect(c.people).toEqual([{ name: 'alice', key: A, kind: 'x25519', comment: 'laptop' }])
    expect(c.groups[0]!.admins.map((r) => [r.name, r.key, r.person])).toEqual([
      ['alice', A, true],
      ['ci', B, false],
    ])
  })

  it.each([
    [
      'version 1 with people',
      config(1, `  - name: alice\n    key: ${A}\n`, '        - alice\n'),
      "'people' needs 'version: 2'",
    ],
    [
      'an unknown person',
      config(2, `  - name: alice\n    key: ${A}\n`, '        - bob\n'),
      "unknown person 'bob' (people: alice)",
    ],
    [
      'a name without a people list',
      `version: 2\ngroups:\n  dev:\n    recipients:\n      admins:\n        - bob\n    secrets:\n      s:\n        path: s/**\n`,
      "'bob' names a person, but the config has no 'people:' list",
    ],
    [
      'an inline entry named like a person',
      config(2, `  - name: alice\n    key: ${A}\n`, `        - name: alice\n          key: ${B}\n`),
      "'alice' is declared in people: write '- alice' here",
    ],
    [
      'two people with one key',
      config(2, `  - name: alice\n    key: ${A}\n  - name: bob\n    key: ${A}\n`, '        - alice\n'),
      'bob has the same key as alice',
    ],
    [
      'a duplicate person',
      config(2, `  - name: alice\n    key: ${A}\n  - name: alice\n    key: ${B}\n`, '        - alice\n'),
      "duplicate person 'alice'",
    ],
    [
      'a malformed key',
      config(2, `  - name: alice\n    key: age1nope\n`, '        - alice\n'),
      'people[0].key: alice: not a valid age recipient',
    ],
    [
      'an unknown field',
      config(2, `  - name: alice\n    key: ${A}\n    email: a@b\n`, '        - alice\n'),
      'people[0].email: unknown key',
    ],
  ])('refuses %s, naming the place', (_what, text, message) => {
    expect(problems(text).join('\n')).toContain(message)
  })
})

describe('exclude', () => {
  const secret = (version: number, exclude: string) =>
    `version: ${version}\ngroups:\n  dev:\n    recipients:\n      admins:\n        - name: alice\n          key: ${A}\n    secrets:\n      env:\n        path: [".env", ".env.*"]\n        exclude: ${exclude}\n`

  it('paths an exclude matches are not that secret', async () => {
    const { findSecret } = await import('../../src/config/index.js')
    const c = parseConfig(secret(2, '[".env.example", "docs/**"]'))
    expect(findSecret(c, '.env.production')?.name).toBe('env')
    expect(findSecret(c, 'app/.env.example')).toBeNull()
    expect(findSecret(c, '.env')?.name).toBe('env')
  })

  it.each([
    ['version 1', secret(1, '.env.example'), "'exclude' needs 'version: 2'"],
    ['a pattern git-seal cannot say', secret(2, '"{a,b}.env"'), "exclude: '{a,b}.env'"],
    ['not a string', secret(2, '{a: 1}'), 'expected a string or a list of strings'],
  ])('refuses %s', (_what, text, message) => {
    expect(problems(text).join('\n')).toContain(message)
  })
})
