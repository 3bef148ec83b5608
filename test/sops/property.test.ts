/**
 * Property tests: random documents round trip (semantically always, byte for byte where the
 * format allows), normalisation is idempotent, and what is written passes the independent MAC
 * check and decrypts with sops-age.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decryptSops as sopsAge } from 'sops-age'
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml'
import {
  decryptSops,
  encryptSops,
  isCompleteSopsDocument,
  readSopsMetadata,
  type SopsStore,
} from '../../src/formats/sops/index.js'
import { bytes, independentCheck, newAgeKey, newDataKey, text, text as text_, wrap } from './helpers.js'

const dataKey = newDataKey()
const age = [
  { recipient: 'age1test', enc: '-----BEGIN AGE ENCRYPTED FILE-----\nAAAA\n-----END AGE ENCRYPTED FILE-----\n' },
]
const roundTrip = (store: SopsStore, plain: string): { encrypted: string; back: string } => {
  const encrypted = text(encryptSops(bytes(plain), store, { dataKey, age, rules: {} }))
  return { encrypted, back: text(decryptSops(bytes(encrypted), store, dataKey)) }
}

/**
 * Strings the YAML 1.2 core schema (the `yaml` package used to write and compare here) and
 * yaml.v3 (sops) would type differently when plain: `1_000` and `0b101` are ints to sops.
 */
const yamlAmbiguous = (s: string): boolean => /^[-+]?[0-9._]*_[0-9._]*$/.test(s) || /^[-+]?0b/i.test(s)

const specialStrings = fc.constantFrom(
  '',
  ' ',
  'a: b',
  '#x',
  'x #y',
  '- x',
  'yes',
  'on',
  '0755',
  '1e3',
  'null',
  '~',
  'line\nline',
  'trailing\n',
  '\ttab',
  "it's",
  'say "hi"',
  '\\',
  '2024-01-01',
  'ENC[x]',
  '🔑',
  '\u0007bell',
  ' lead',
  'trail ',
  '---',
  '...',
  '@at',
  '%p',
  '`b`',
)
const anyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  specialStrings,
)
// An integral double of 2^63 or more is written as an integer literal, which the yaml store turns
// into a string on purpose (beyond int64; index.ts documents it): not a round-trip failure.
const double = fc
  .double({ noNaN: true, noDefaultInfinity: true })
  .filter((d) => !Object.is(d, -0) && !(Number.isInteger(d) && Math.abs(d) >= 2 ** 63))
const yamlKey = fc
  .oneof(fc.stringMatching(/^[a-zA-Z][\w .-]{0,8}$/), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }))
  .filter((k) => k !== 'sops' && k !== '<<' && k !== '__proto__' && !yamlAmbiguous(k))

const leaf = fc.oneof(
  anyString.filter((s) => !yamlAmbiguous(s)),
  fc.integer(),
  double,
  fc.boolean(),
  fc.constant(null),
)
const { tree: yamlTree } = fc.letrec((tie) => ({
  tree: fc.dictionary(yamlKey, tie('node'), { maxKeys: 4 }),
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    leaf,
    fc.array(tie('node'), { maxLength: 3 }),
    tie('tree'),
  ),
}))

describe('YAML', () => {
  it('random documents come back with the same values, and normalisation is idempotent', () => {
    fc.assert(
      fc.property(yamlTree, fc.constantFrom(2, 4), (tree, indent) => {
        const plain = stringifyYaml(tree, { lineWidth: 0, indent })
        const { encrypted, back } = roundTrip('yaml', plain)
        expect(isCompleteSopsDocument(bytes(encrypted), 'yaml')).toBe(true)
        expect(parseYaml(back)).toEqual(parseYaml(plain))
        expect(roundTrip('yaml', back).back).toBe(back)
      }),
      { numRuns: 300 },
    )
  })

  it('documents of plain strings, numbers, booleans and nulls come back byte for byte', () => {
    const plainLeaf = fc.oneof(
      fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9 ,./@()=+-]{0,15}[a-zA-Z0-9]$/),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
    )
    const { tree } = fc.letrec((tie) => ({
      tree: fc.dictionary(
        fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/).filter((k) => k !== 'sops'),
        tie('node'),
        { minKeys: 1, maxKeys: 4 },
      ),
      node: fc.oneof(
        { depthSize: 'small' },
        plainLeaf,
        plainLeaf,
        fc.array(tie('node'), { minLength: 1, maxLength: 3 }),
        tie('tree'),
      ),
    }))
    fc.assert(
      fc.property(tree, fc.constantFrom(2, 4), (t, indent) => {
        const plain = stringifyYaml(t, { lineWidth: 0, indent })
        expect(roundTrip('yaml', plain).back).toBe(plain)
      }),
      { numRuns: 300 },
    )
  })

  it('what is written passes the independent MAC check and decrypts with sops-age', async () => {
    const ageKey = await newAgeKey()
    const entries = [{ recipient: ageKey.recipient, enc: await wrap(dataKey, ageKey.recipient) }]
    await fc.assert(
      // sops-age drops path components that look like list indices, so no all-digit keys here
      fc.asyncProperty(
        yamlTree.filter((t) => !JSON.stringify(t).match(/"\d+":/)),
        async (tree) => {
          const plain = stringifyYaml(tree, { lineWidth: 0 })
          const encrypted = text(encryptSops(bytes(plain), 'yaml', { dataKey, age: entries, rules: {} }))
          independentCheck(encrypted, 'yaml', dataKey)
          const expected = parseYaml(plain) ?? {}
          expect(await sopsAge(encrypted, { secretKey: ageKey.identity, fileType: 'yaml' })).toEqual(
            JSON.parse(JSON.stringify(expected)),
          )
        },
      ),
      { numRuns: 40 },
    )
  })
})

describe('JSON', () => {
  const jsonNumber = fc.oneof(
    fc.integer(),
    double.filter((d) => (Number.isInteger(d) ? Math.abs(d) < 2 ** 53 : !/e/.test(String(d)))),
  )
  const jsonLeaf = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 20 }),
    specialStrings,
    jsonNumber,
    fc.boolean(),
    fc.constant(null),
  )
  const { tree: jsonTree } = fc.letrec((tie) => ({
    tree: fc.dictionary(
      fc.string({ unit: 'binary', maxLength: 8 }).filter((k) => k !== 'sops' && k !== '__proto__'),
      tie('node'),
      { maxKeys: 4 },
    ),
    node: fc.oneof({ depthSize: 'small' }, jsonLeaf, jsonLeaf, fc.array(tie('node'), { maxLength: 3 }), tie('tree')),
  }))

  it('random documents come back byte for byte, in any indentation', () => {
    fc.assert(
      fc.property(jsonTree, fc.constantFrom(undefined, 2, '\t'), (tree, indent) => {
        const plain = JSON.stringify(tree, null, indent) + (indent === undefined ? '' : '\n')
        const { encrypted, back } = roundTrip('json', plain)
        expect(back).toBe(plain)
        independentCheck(encrypted, 'json', dataKey)
      }),
      { numRuns: 300 },
    )
  })

  it('any numbers come back with the same values, idempotently', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(double, fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String)), { maxLength: 6 }),
        (numbers) => {
          const plain = `{"n": [${numbers.map(String).join(', ')}]}`
          const { back } = roundTrip('json', plain)
          const values = (JSON.parse(back) as { n: (number | string)[] }).n.map(Number)
          expect(values).toEqual(JSON.parse(plain).n.map(Number))
          expect(roundTrip('json', back).back).toBe(back)
        },
      ),
      { numRuns: 200 },
    )
  })
})

describe('dotenv and INI', () => {
  const noNewline = fc.string({ unit: 'binary', maxLength: 16 }).filter((s) => !s.includes('\n'))

  it('random dotenv files come back byte for byte', () => {
    const line = fc.oneof(
      fc
        .tuple(
          fc.stringMatching(/^(export )?[A-Za-z_][A-Za-z0-9_]{0,10}$/).filter((k) => !k.startsWith('sops_')),
          noNewline,
        )
        .map(([k, v]) => `${k}=${v}`),
      noNewline.map((c) => `#${c}`),
      fc.constant(''),
    )
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), fc.boolean(), (lines, finalNewline) => {
        const plain = lines.join('\n') + (finalNewline && lines.length > 0 ? '\n' : '')
        const { encrypted, back } = roundTrip('dotenv', plain)
        expect(back).toBe(plain)
        independentCheck(encrypted, 'dotenv', dataKey)
      }),
      { numRuns: 300 },
    )
  })

  it('random INI files come back byte for byte', () => {
    const value = fc.oneof(
      fc.stringMatching(/^[\w.,/@+-][\w .,/@+-]{0,12}[\w.,/@+-]$/),
      fc
        .string({ maxLength: 10 })
        .filter((s) => !/["\n\r]/.test(s))
        .map((s) => `"${s}"`),
      fc
        .string({ maxLength: 10 })
        .filter((s) => !/[`\n\r]/.test(s))
        .map((s) => `\`${s}\``),
      fc.constant(''),
    )
    const keyLine = fc
      .tuple(
        fc.stringMatching(/^[a-z][a-z0-9_.]{0,8}$/),
        fc.constantFrom(' = ', '=', ': ', ' =  '),
        value,
        fc.constantFrom('', ' ; note', ' # x'),
      )
      .map((p) => p.join(''))
    const comment = fc
      .tuple(fc.constantFrom(';', '#', '; ', '# '), fc.stringMatching(/^[\w ]{0,12}$/))
      .map(([c, t]) => c + t)
    const section = fc
      .tuple(
        fc.stringMatching(/^[a-z][a-z0-9 _]{0,8}$/).filter((s) => s !== 'sops'),
        fc.uniqueArray(keyLine, { maxLength: 4, selector: (l) => l.split(/ ?[=:]/)[0] }),
        fc.array(comment, { maxLength: 2 }),
      )
      .map(([name, keys, comments]) => [...comments, `[${name}]`, ...keys].join('\n'))
    fc.assert(
      fc.property(fc.array(section, { maxLength: 3 }), fc.boolean(), (sections, finalNewline) => {
        const plain = sections.join('\n\n') + (finalNewline && sections.length > 0 ? '\n' : '')
        expect(roundTrip('ini', plain).back).toBe(plain)
      }),
      { numRuns: 300 },
    )
  })
})

describe('arbitrary input', () => {
  const stores: SopsStore[] = ['yaml', 'json', 'dotenv', 'ini', 'binary']
  const soup = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc
      .array(
        fc.constantFrom(
          'a',
          ':',
          ' ',
          '\n',
          '-',
          '#',
          '"',
          "'",
          '[',
          ']',
          '{',
          '}',
          ',',
          '=',
          ';',
          '&x',
          '*x',
          '|',
          '>',
          '!',
          '---',
          'sops',
          '\t',
          '\r',
          '0x1F',
          'true',
        ),
        { maxLength: 40 },
      )
      .map((a) => a.join('')),
  )

  it('either encrypts to something that decrypts to the same values, or fails with a SopsError', () => {
    fc.assert(
      fc.property(soup, fc.constantFrom(...stores), (input, store) => {
        let encrypted: Uint8Array
        try {
          encrypted = encryptSops(bytes(input), store, { dataKey, age, rules: {} })
        } catch (e) {
          expect(e).toMatchObject({ name: 'SopsError' })
          return
        }
        const back = text(decryptSops(encrypted, store, dataKey))
        expect(roundTrip(store, back).back).toBe(back)
      }),
      { numRuns: 1000 },
    )
  })

  it('reading arbitrary bytes as sops gives null, false or a SopsError, never another exception', () => {
    fc.assert(
      fc.property(soup, fc.constantFrom(...stores), (input, store) => {
        for (const read of [
          () => readSopsMetadata(bytes(input), store),
          () => isCompleteSopsDocument(bytes(input), store),
          () => decryptSops(bytes(input), store, dataKey),
        ]) {
          try {
            read()
          } catch (e) {
            expect(e).toMatchObject({ name: 'SopsError' })
          }
        }
      }),
      { numRuns: 1000 },
    )
  })
})

describe('write -> independent checker -> read (issue 13)', () => {
  const word = fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/)
  const text = fc.stringMatching(/^[A-Za-z][A-Za-z0-9 .,/@+-]{0,14}[A-Za-z0-9]$/)
  const commentText = fc.oneof(
    text,
    fc.constant('sops:enc'),
    text.map((t) => `${t} sops:enc`),
    fc.constant(''),
  )

  it('random INI files (blocks of comments, inline comments, quoting) pass the checker, comments included, and come back byte for byte', () => {
    const value = fc.oneof(
      text,
      text.map((s) => `"${s}"`),
      text.map((s) => `\`${s}\``),
      fc.constant(''),
    )
    const comment = fc.tuple(fc.constantFrom(';', '#', '; ', '# ', '  ; '), commentText).map(([c, t]) => c + t)
    const keyLine = fc
      .tuple(word, fc.constantFrom(' = ', '=', ': '), value, fc.constantFrom('', ' ; note', ' # x'))
      .map((p) => p.join(''))
    const line = fc.oneof(
      { weight: 3, arbitrary: keyLine },
      { weight: 2, arbitrary: comment },
      { weight: 1, arbitrary: fc.constant('') },
    )
    // (an inline comment after a section header moves to a line of its own once: not byte for byte)
    const section = fc
      .tuple(
        word.filter((s) => s !== 'sops'),
        fc.array(line, { maxLength: 6 }),
      )
      .map(([name, lines]) => [`[${name}]`, ...lines])
      .filter(
        (lines) =>
          new Set(lines.filter((l) => /^[a-z]/.test(l)).map((l) => l.split(/ ?[=:]/)[0])).size ===
          lines.filter((l) => /^[a-z]/.test(l)).length,
      )
    fc.assert(
      fc.property(
        fc.array(comment, { maxLength: 2 }),
        fc.array(section, { maxLength: 3 }),
        fc.constantFrom({}, { encryptedCommentRegex: 'sops:enc' }, { unencryptedCommentRegex: 'sops:enc' }),
        (head, sections, rules) => {
          const plain = [...head, ...sections.flat()].join('\n') + '\n'
          const encrypted = Buffer.from(encryptSops(bytes(plain), 'ini', { dataKey, age, rules })).toString()
          independentCheck(
            encrypted,
            'ini',
            dataKey,
            rules.encryptedCommentRegex || rules.unencryptedCommentRegex
              ? { encrypted: 'as-found' }
              : { comments: true },
          )
          expect(text_(decryptSops(bytes(encrypted), 'ini', dataKey))).toBe(plain)
        },
      ),
      { numRuns: 200 },
    )
  })

  it('random dotenv files with comment rules pass the checker and come back byte for byte', () => {
    const line = fc.oneof(
      word.map((k) => k.toUpperCase()).chain((k) => text.map((v) => `${k}=${v}`)),
      commentText.map((c) => `#${c}`),
      fc.constant(''),
    )
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 10 }),
        fc.constantFrom({}, { encryptedCommentRegex: 'sops:enc' }, { unencryptedCommentRegex: 'sops:enc' }),
        (lines, rules) => {
          const plain = lines.join('\n') + '\n'
          const encrypted = Buffer.from(encryptSops(bytes(plain), 'dotenv', { dataKey, age, rules })).toString()
          independentCheck(
            encrypted,
            'dotenv',
            dataKey,
            rules.encryptedCommentRegex || rules.unencryptedCommentRegex
              ? { encrypted: 'as-found' }
              : { comments: true },
          )
          expect(text_(decryptSops(bytes(encrypted), 'dotenv', dataKey))).toBe(plain)
        },
      ),
      { numRuns: 200 },
    )
  })

  it('random YAML trees with comments above keys and after values pass the checker, comments included, and come back byte for byte', () => {
    const scalar = fc.oneof(text, fc.integer().map(String), fc.constantFrom('true', 'false', '1.5', "'quoted'", '"dq"'))
    const { block } = fc.letrec((tie) => ({
      block: fc
        .array(
          fc.tuple(
            fc.option(commentText, { nil: undefined }),
            word,
            fc.oneof({ depthSize: 'small' }, scalar, tie('block'), fc.array(scalar, { minLength: 1, maxLength: 3 })),
            fc.option(commentText, { nil: undefined }),
          ),
          { minLength: 1, maxLength: 4 },
        )
        .filter((entries) => new Set(entries.map((e) => e[1])).size === entries.length),
    }))
    type Entry = [string | undefined, string, unknown, string | undefined]
    const render = (entries: Entry[], indent: string): string[] =>
      entries.flatMap(([head, key, value, inline]) => {
        const out = head !== undefined ? [`${indent}#${head}`] : []
        const tail = inline !== undefined && inline !== '' ? ` #${inline}` : ''
        if (typeof value === 'string') return [...out, `${indent}${key}: ${value}${tail}`]
        if (Array.isArray(value) && typeof value[0] === 'string')
          return [...out, `${indent}${key}:${tail}`, ...(value as string[]).map((v) => `${indent}  - ${v}`)]
        return [...out, `${indent}${key}:${tail}`, ...render(value as Entry[], `${indent}  `)]
      })
    fc.assert(
      fc.property(
        block,
        fc.constantFrom({}, { encryptedCommentRegex: 'sops:enc' }, { unencryptedCommentRegex: 'sops:enc' }),
        (entries, rules) => {
          const plain = render(entries as Entry[], '').join('\n') + '\n'
          const encrypted = Buffer.from(encryptSops(bytes(plain), 'yaml', { dataKey, age, rules })).toString()
          independentCheck(
            encrypted,
            'yaml',
            dataKey,
            rules.encryptedCommentRegex || rules.unencryptedCommentRegex
              ? { encrypted: 'as-found' }
              : { comments: true },
          )
          expect(text_(decryptSops(bytes(encrypted), 'yaml', dataKey))).toBe(plain)
        },
      ),
      { numRuns: 200 },
    )
  })

  it('numbers of any size left unencrypted: the MAC hashes them as sops reads them', () => {
    const big = fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String)
    fc.assert(
      fc.property(fc.array(fc.oneof(big, double.map(String)), { minLength: 1, maxLength: 5 }), (numbers) => {
        const json = `{${numbers.map((n, i) => `"n${i}_unencrypted": ${n}, "e${i}": ${n}`).join(', ')}}`
        independentCheck(
          Buffer.from(encryptSops(bytes(json), 'json', { dataKey, age, rules: {} })).toString(),
          'json',
          dataKey,
        )
        const yaml = numbers.map((n, i) => `n${i}_unencrypted: ${n}\ne${i}: ${n}\n`).join('')
        independentCheck(
          Buffer.from(encryptSops(bytes(yaml), 'yaml', { dataKey, age, rules: {} })).toString(),
          'yaml',
          dataKey,
        )
      }),
      { numRuns: 200 },
    )
  })
})
