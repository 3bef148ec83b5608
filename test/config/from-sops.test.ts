// init --from-sops, as pure functions: path_regex as gitattributes patterns (exactly the same
// paths), overlaps between rules, and .sops.yaml creation_rules in every form sops accepts for age.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compilePattern, importSopsConfig, parseConfig } from '../../src/config/index.js'
import { fewestCoveringKeys } from '../../src/config/from-sops.js'
import { overlapWitness, translatePathRegex, type TranslatedRegex } from '../../src/config/sops-regex.js'
import { ROOT, newKey } from '../helpers/repo.js'

const FIXTURES = join(ROOT, 'test', 'fixtures', 'sops-yaml')

/** sops matches path_regex with Go's RE2 MatchString, unanchored: JavaScript's test() with 'u' agrees on these. */
const sopsMatches = (regex: string, path: string): boolean => new RegExp(regex, 'u').test(path)
const globMatches = (patterns: string[], path: string): boolean => patterns.some((p) => compilePattern(p)(path))

const PATHS = [
  'secrets/a.yaml',
  'secrets/.yaml',
  'secrets/x/b.yaml',
  'x/secrets/a.yaml',
  'mysecrets/a.yaml',
  'secrets/a.yaml.bak',
  'secrets/a.yamlx/c',
  'a.yaml',
  'a.env',
  '.env',
  'x/.env',
  'x/y.env',
  'secrets/azmidi/a.json',
  'secrets/azmidi/sub/a.json',
  'dev/a',
  'prod/x/y',
  'undev/a',
  'secrets/common/a.ini',
  'secrets/common/a.txt',
  'secrets/users/carol/id_ed25519',
  'b.txt',
  'dir/a b.yaml',
  'secrets/é.yaml',
  'x/a.enc.json',
  'a.enc.json',
]

/** Random path regexes of the shapes .sops.yaml files use, and random paths. */
const piece = fc.constantFrom(
  'a',
  'b',
  'secrets',
  '/',
  '\\.',
  '[^/]+',
  '[^/]*',
  '.*',
  '.+',
  '.',
  '(a|b/)',
  '(?:x|yy)?',
  '[ab]',
  '[^a]',
  'c{1,2}',
  '\\d',
  'é',
  '(^|/)',
  '(/|$)',
)
const regex = fc
  .tuple(fc.boolean(), fc.array(piece, { minLength: 1, maxLength: 6 }), fc.boolean())
  .map(([start, parts, end]) => `${start ? '^' : ''}${parts.join('')}${end ? '$' : ''}`)
const path = fc
  .array(fc.constantFrom('a', 'b', 'x', 'yy', 'c', '1', 'secrets', '.', 'é'), { minLength: 1, maxLength: 3 })
  .chain((names) =>
    fc
      .array(fc.constantFrom(...names.map((n) => n)), { minLength: 1, maxLength: 4 })
      .map((parts) => parts.join('/').replace(/\/\.$/, '/x.')),
  )
/** A real path: no empty or '.' component (nor a name ending in '.', see below). */
const realPath = (p: string): boolean => !p.split('/').some((c) => c === '' || c === '.' || c.endsWith('.'))

describe('path_regex as gitattributes patterns', () => {
  it.each([
    [
      'secrets/[^/]+\\.(yaml|json|env|ini)$',
      ['**/*secrets/?*.yaml', '**/*secrets/?*.json', '**/*secrets/?*.env', '**/*secrets/?*.ini'],
    ],
    ['^secrets/.*', ['secrets/**']],
    ['^secrets/common/.*$', ['secrets/common/**']],
    ['secrets/.*\\.yaml$', ['**/*secrets/**/*.yaml']],
    ['\\.env$', ['*.env']],
    ['.*\\.enc\\.json$', ['*.enc.json']],
    ['(dev|prod)/.*', ['**/*dev/**', '**/*prod/**']],
    ['(?:^|/)secrets/.*\\.yaml$', ['secrets/**/*.yaml', '**/*/secrets/**/*.yaml']],
    ['^[^/]+\\.yaml$', ['/?*.yaml']],
    ['^secrets/[^/]+$', ['secrets/*']],
    ['^secrets/.+', ['secrets/**']],
    ['^host[0-9]/.*', ['host[0123456789]/**']],
    ['^secrets/a\\.ya?ml$', ['secrets/a.yml', 'secrets/a.yaml']],
  ])('%s', (regex, patterns) => {
    expect(translatePathRegex(regex).patterns.sort()).toEqual([...patterns].sort())
    for (const path of PATHS) expect(globMatches(patterns, path), path).toBe(sopsMatches(regex, path))
  })

  it.each([
    ['^x/[0-9]+$', "'[0-9]+': git's patterns repeat only '.' and '[^/]'"],
    ['(?i)secrets/.*', 'flags and named groups are not translated'],
    ['^a.b$', "stands for an exact number of characters, which git's '?' counts in bytes"],
    ['^[^/]+[^/]+$', "'[^/][^/]' in"],
    ['(ab)+', "git's patterns repeat only"],
    ['secrets/(', "a '(' without its ')'"],
    ['a\\bb', "the escape '\\b'"],
    ['^$', 'it matches no file path'],
  ])('refuses %s', (regex, reason) => {
    expect(() => translatePathRegex(regex)).toThrow(reason)
  })

  it('selects exactly the paths the regex matches (random regexes and paths)', () => {
    fc.assert(
      fc.property(regex, fc.array(path, { minLength: 20, maxLength: 20 }), (re, paths) => {
        let patterns: string[]
        try {
          patterns = translatePathRegex(re).patterns
        } catch {
          return // refused: nothing to compare
        }
        // Not a name ending in '.' either: there picomatch (behind compilePattern) and git
        // disagree on '*.*' (git matches 'x.', picomatch does not).
        for (const p of paths.filter(realPath)) {
          expect(globMatches(patterns, p), `${re} on ${p}: ${patterns.join(' ')}`).toBe(sopsMatches(re, p))
        }
      }),
      { numRuns: 400 },
    )
  })
})

describe('overlaps between rules', () => {
  it.each([
    ['secrets/[^/]+\\.yaml$', '^secrets/.*', 'secrets/x.yaml'],
    ['^secrets/[^/]+\\.yaml$', '^secrets/azmidi/[^/]+\\.yaml$', null],
    ['^a.*\\.yaml$', '^.*b\\.yaml$', 'ab.yaml'],
    ['^secrets/common/', '^secrets/web/', null],
    ['\\.env$', '^app/', 'app/.env'],
  ])('%s and %s: %s', (a, b, witness) => {
    const found = overlapWitness(translatePathRegex(a), translatePathRegex(b))
    expect(found).toBe(witness)
    if (found) expect([sopsMatches(a, found), sopsMatches(b, found)]).toEqual([true, true])
  })
})

describe('overlapWitness on random regexes', () => {
  it('finds a path both match exactly when one exists among random paths', () => {
    fc.assert(
      fc.property(regex, regex, fc.array(path, { minLength: 30, maxLength: 30 }), (a, b, paths) => {
        let ta: TranslatedRegex
        let tb: TranslatedRegex
        try {
          ta = translatePathRegex(a)
          tb = translatePathRegex(b)
        } catch {
          return
        }
        const witness = overlapWitness(ta, tb)
        if (witness !== null)
          expect([sopsMatches(a, witness), sopsMatches(b, witness)], `${a} / ${b}: ${witness}`).toEqual([true, true])
        else
          for (const p of paths.filter(realPath))
            expect(sopsMatches(a, p) && sopsMatches(b, p), `${a} / ${b} both match ${p}`).toBe(false)
      }),
      { numRuns: 400 },
    )
  })
})

describe('fewestCoveringKeys', () => {
  it.each([
    [[['a', 'b'], ['a', 'c'], ['a']], ['a']],
    [
      [
        ['a', 'b'],
        ['b', 'c'],
        ['c', 'a'],
      ],
      2,
    ],
    [
      [['a'], ['b'], ['c']],
      ['a', 'b', 'c'],
    ],
    [
      [
        ['x', 'admin'],
        ['y', 'admin'],
        ['z', 'admin', 'x'],
      ],
      ['admin'],
    ],
  ])('%j', (sets, expected) => {
    const keys = fewestCoveringKeys(sets as string[][])
    if (typeof expected === 'number') expect(keys).toHaveLength(expected)
    else expect(keys.sort()).toEqual([...expected].sort())
    for (const set of sets as string[][]) expect(set.some((k) => keys.includes(k))).toBe(true)
  })
})

/** The NixOS layout fixture with keys generated now. */
function nixosLayout(): { text: string; keys: Record<string, string> } {
  const keys = Object.fromEntries(['ALICE', 'BOB', 'WEB', 'DB', 'CAROL'].map((n) => [n, newKey().recipient]))
  const text = readFileSync(join(FIXTURES, 'nixos-layout.sops.yaml'), 'utf8').replace(
    /AGE_([A-Z]+)/g,
    (_m, n: string) => keys[n]!,
  )
  return { text, keys }
}

describe('.sops.yaml creation_rules as .gitseal.yaml', () => {
  it("the sops-nix README's .sops.yaml is refused, naming each rule and each PGP key", () => {
    const text = readFileSync(join(FIXTURES, 'sops-nix-readme.sops.yaml'), 'utf8')
    let message = ''
    try {
      importSopsConfig(text)
    } catch (e) {
      message = (e as Error).message
    }
    expect(message).toContain('cannot import .sops.yaml (2 problems)')
    expect(message).toContain(
      "rule 1 (path_regex 'secrets/[^/]+\\.(yaml|json|env|ini)$'): names keys git-seal cannot encrypt to: pgp admin_alice (2504791468b153b8a3963cc9…), pgp server_azmidi (0fd60c8c3b664aceb1796ce0…)",
    )
    expect(message).toContain(
      "rule 2 (path_regex 'secrets/azmidi/[^/]+\\.(yaml|json|env|ini)$'): names keys git-seal cannot encrypt to: pgp admin_alice",
    )
  })

  it('with dropNonAge it imports the age keys under their anchors, one group, and says who loses access', () => {
    const text = readFileSync(join(FIXTURES, 'sops-nix-readme.sops.yaml'), 'utf8')
    const result = importSopsConfig(text, { dropNonAge: true })
    const config = parseConfig(result.config)
    expect(result.groups).toEqual([{ name: 'default', admins: ['admin_bob'], targets: ['server_nosaxa'] }])
    expect(config.secrets.map((s) => [s.name, s.recipients.map((r) => r.name), s.format])).toEqual([
      ['secrets', ['admin_bob', 'server_nosaxa'], 'sops'],
      ['secrets-azmidi', ['admin_bob'], 'sops'],
    ])
    expect(result.dropped.map((d) => [d.rule, d.keys.map((k) => k.name)])).toEqual([
      [1, ['admin_alice', 'server_azmidi']],
      [2, ['admin_alice', 'server_azmidi']],
    ])
    expect(result.config).not.toContain('TODO')
  })

  it('the usual NixOS layout: anchors under keys:, key_groups (with merge): admins every rule names, hosts and users as targets', () => {
    const { text, keys } = nixosLayout()
    const result = importSopsConfig(text)
    const config = parseConfig(result.config)
    expect(result.groups).toEqual([{ name: 'default', admins: ['alice', 'bob'], targets: ['web', 'db', 'carol'] }])
    const byName = Object.fromEntries(
      config.secrets.map((s) => [s.name, { patterns: s.patterns, keys: s.recipients.map((r) => r.key).sort() }]),
    )
    expect(byName).toEqual({
      'secrets-common': {
        patterns: [
          'secrets/common/?*.yaml',
          'secrets/common/?*.json',
          'secrets/common/?*.env',
          'secrets/common/?*.ini',
        ],
        keys: [keys.ALICE, keys.BOB, keys.WEB, keys.DB].sort(),
      },
      'secrets-web': { patterns: ['secrets/web/*'], keys: [keys.ALICE, keys.BOB, keys.WEB].sort() },
      'secrets-db': { patterns: ['secrets/db/*'], keys: [keys.ALICE, keys.BOB, keys.DB].sort() },
      'secrets-users-carol': {
        patterns: ['secrets/users/carol/**'],
        keys: [keys.ALICE, keys.BOB, keys.CAROL, keys.WEB].sort(),
      },
    })
  })

  it('reads age: as a comma-separated string or a list, names keys by anchor, else comment, else their start', () => {
    const [a, b, c] = [newKey().recipient, newKey().recipient, newKey().recipient]
    const text = `keys:\n  - &ops ${a}\ncreation_rules:\n  - path_regex: ^one/.*\n    age: "${a}, ${b},"\n  - path_regex: ^two/.*\n    age:\n      - *ops\n      - ${c} # laptop\n`
    const result = importSopsConfig(text)
    expect(result.names).toEqual(
      new Map([
        [a, 'ops'],
        [b, b.slice(0, 12)],
        [c, 'laptop'],
      ]),
    )
    expect(result.groups).toEqual([{ name: 'default', admins: ['ops'], targets: [b.slice(0, 12), 'laptop'] }])
  })

  it('splits rules with no key in common into the fewest groups, and carries the encryption options over', () => {
    const [a, b, c] = [newKey().recipient, newKey().recipient, newKey().recipient]
    const text = `keys: [&a ${a}, &b ${b}, &c ${c}]\ncreation_rules:\n  - {path_regex: ^x/.*, age: [*a, *b]}\n  - {path_regex: ^y/.*, age: [*b, *c], encrypted_regex: "^(data|stringData)$"}\n  - {path_regex: ^z/.*, age: [*c], mac_only_encrypted: true}\n`
    const result = importSopsConfig(text)
    expect(result.groups).toEqual([
      { name: 'b', admins: ['b'], targets: ['a', 'c'] },
      { name: 'c', admins: ['c'], targets: [] },
    ])
    const config = parseConfig(result.config)
    expect(config.secrets.map((s) => [s.name, s.group, s.recipients.map((r) => r.name).sort(), s.sops])).toEqual([
      ['x', 'b', ['a', 'b'], {}],
      ['y', 'b', ['b', 'c'], { encryptedRegex: '^(data|stringData)$' }],
      ['z', 'c', ['c'], { macOnlyEncrypted: true }],
    ])
  })

  it('joins overlapping rules with the same keys into one secret; refuses overlapping rules with different keys, naming a path both match', () => {
    const [a, b] = [newKey().recipient, newKey().recipient]
    const same = importSopsConfig(
      `creation_rules:\n  - {path_regex: '^secrets/.*\\.yaml$', age: ${a}}\n  - {path_regex: '^secrets/', age: ${a}}\n`,
    )
    expect(same.secrets.map((s) => [s.rules, s.patterns])).toEqual([
      [
        [1, 2],
        ['secrets/**/*.yaml', 'secrets/**'],
      ],
    ])
    expect(() =>
      importSopsConfig(
        `creation_rules:\n  - {path_regex: '^secrets/prod/', age: ${a}}\n  - {path_regex: '^secrets/', age: "${a},${b}"}\n`,
      ),
    ).toThrow(
      'rules 1 and 2 both match secrets/prod/x (and more like it): sops takes rule 1, the first; git-seal refuses a path two secrets match',
    )
  })

  it('refuses several key groups, shamir_threshold, rules with no age key, catch-alls and untranslatable regexes, all in one message', () => {
    const [a, b] = [newKey().recipient, newKey().recipient]
    const text = [
      'creation_rules:',
      `  - path_regex: ^a/`,
      `    shamir_threshold: 2`,
      `    key_groups: [{age: [${a}]}, {age: [${b}]}]`,
      `  - path_regex: ^b/`,
      `    kms: arn:aws:kms:us-east-1:123:key/abc`,
      `  - age: ${a}`,
      `  - path_regex: ^d/[0-9]+$`,
      `    age: ${a}`,
    ].join('\n')
    let message = ''
    try {
      importSopsConfig(text, { dropNonAge: true })
    } catch (e) {
      message = (e as Error).message
    }
    expect(message).toContain('(4 problems)')
    expect(message).toContain(
      `rule 1 (path_regex '^a/'): 2 key groups, shamir_threshold 2: a file needs keys from several groups to open (age ${a}, age ${b})`,
    )
    expect(message).toContain("rule 2 (path_regex '^b/'): names no age key (only kms arn:aws:kms:us-east-1:12…)")
    expect(message).toContain('rule 3 (no path_regex): matches every path')
    expect(message).toContain(`rule 4 (path_regex '^d/[0-9]+$'): cannot be written as gitattributes patterns: '[0-9]+'`)
  })

  it('writes worktree: ciphertext and version 2 when asked', () => {
    const a = newKey().recipient
    const text = importSopsConfig(`creation_rules:\n  - {path_regex: ^s/, age: ${a}}\n`, {
      ciphertextWorktree: true,
    }).config
    expect(text).toMatch(/^version: 2$/m)
    expect(text).toMatch(/^ {8}worktree: ciphertext$/m)
  })
})
