/**
 * The YAML store: round trips byte for byte wherever the format allows, documented
 * normalisations reached in one step and stable after it, typing as yaml.v3 (sops) types, and
 * comments encrypted with the additional data sops would use.
 */
import { describe, expect, it } from 'vitest'
import { decryptSops, encryptSops, isCompleteSopsDocument } from '../../src/formats/sops/index.js'
import { bytes, expectRefusal, fixture, getsopsKeys, independentCheck, openEnc, text } from './helpers.js'

const dataKey = new Uint8Array(32).fill(7)
const age = [
  { recipient: 'age1test', enc: '-----BEGIN AGE ENCRYPTED FILE-----\nAAAA\n-----END AGE ENCRYPTED FILE-----\n' },
]
const enc = (plain: string, rules = {}): string =>
  text(encryptSops(bytes(plain), 'yaml', { dataKey, age, rules, now: new Date('2025-01-02T03:04:05Z') }))
const dec = (src: string): string => text(decryptSops(bytes(src), 'yaml', dataKey))
const roundTrip = (plain: string): string => dec(enc(plain))

describe('byte-exact round trips', () => {
  const cases: Record<string, string> = {
    'block plain, 2-space indent': 'db:\n  user: admin\n  host: db.example.com\n',
    '4-space indent': 'db:\n    user: admin\n    nested:\n        deep: x\n',
    'single and double quotes, escapes': `a: 'it''s'\nb: "say \\"hi\\" \\\\ tab\\tnew\\nline"\nc: "plain in quotes"\n`,
    'literal block, clip': 'cert: |\n  -----BEGIN CERTIFICATE-----\n  MIIB\n  -----END CERTIFICATE-----\nnext: x\n',
    'literal block, strip and keep': 'a: |-\n  one\n  two\nb: |+\n  kept\n\n\nc: x\n',
    'literal block with indentation indicator and blank lines':
      'a: |2\n    indented first\n  second\n\n  after blank\n\nb: x\n',
    'canonical numbers and booleans':
      'i: 42\nn: -7\nf: 3.14\ng: 1e-05\nh: -0.5\nt: true\nu: false\nbig: 9223372036854775807\n',
    'nulls and empty strings': 'a:\nb: ~\nc: null\nd: ""\ne: \'\'\nf: Null\n',
    comments:
      '# head\n\n# doc head 2\na: 1 # inline a\n# before b\nb:\n  # inside b\n  c: x # inline c\n  # foot of c\n# foot of b\nl:\n  - x # in list\n  # between\n  - y\n# end\n',
    'multi-document': 'a: 1\n---\nb: 2\n...\n---\n# c\nc: 3\n',
    'leading document marker': '---\na: 1\n',
    CRLF: 'a: 1\r\nb:\r\n  c: "x"\r\n  d: |\r\n    one\r\n    two\r\n# end\r\n',
    'missing final newline': 'a: 1\nb: two',
    'missing final newline after a comment': 'a: 1\n# last',
    'compact and indented lists':
      'compact:\n- a\n- b\nindented:\n  - c\n  - - nested\n    - list\nmaps:\n  - name: x\n    value: y\n  - name: z\n',
    unicode: 'emoji: 🔑 key\ncjk: 秘密\ne: "café"\n',
    'keys with special characters': '"quoted key": v\n\'k:colon\': v\nkey with spaces: v\ndots.in.key: v\n"#hash": v\n',
    "values with ':' and '#'": 'url: http://example.com:8080/x#frag\nhash: a#b\ncolon: a:b\nq: "a: b # c"\n',
    'strings that look like other types stay quoted': `a: "123"\nb: 'true'\nc: "null"\nd: "1.5"\ne: yes\nf: on\n`,
    timestamps: 'date: 2024-01-01\nts: 2024-01-01T10:00:00Z\nquoted: "2024-01-01"\n',
    'explicit !!str and custom tags': 'a: !!str 123\nb: !Ref MyBucket\n',
    'flow collections with plain and double-quoted values': 'f: [a, "b", 1, true, null]\nm: {x: 1, y: "two"}\n',
    'a flow mapping at the top (JSON written as YAML)': '{\n  "a": "b",\n  "n": 1\n}\n',
    'an empty flow mapping at the top': '{}\n',
    'empty file': '',
    'only comments': '# just a comment\n',
    'only a document marker': '---\n',
    'empty mapping value and empty list': 'a: {}\nb: []\nc: x\n',
    'deeply nested lists of lists': 'a:\n  - - - x\n      - y\n    - z\n',
    'byte order mark': '\ufeffa: 1\n',
    'value on the next line': 'key:\n  value on next line\nk2:\n  "quoted"\n',
    'tabs inside values': 'a: "x\\ty"\nb: x\ty\n',
    'comments around list items of maps': 'l:\n  - a: 1\n    # about b\n    b: 2\n  # between items\n  - c: 3\n',
    'block scalar followed by a less indented comment': 'a: |\n  text\n# lower comment\nb: x\n',
    'indented top level': '  a: 1\n  b: 2\n',
    'document end marker and trailing comment': 'a: 1\n...\n# trailing comment\n',
    'empty documents between others': 'a: 1\n---\n---\n# only a comment\n---\nb: 2\n',
  }
  it.each(Object.entries(cases))('%s', (_, plain) => {
    const encrypted = enc(plain)
    expect(isCompleteSopsDocument(bytes(encrypted), 'yaml')).toBe(true)
    expect(dec(encrypted)).toBe(plain)
  })

  it('values are encrypted and keys, layout and comments positions kept', () => {
    const encrypted = enc('db: # the database\n  user: admin\n  password: "s3cr3t"\n')
    expect(encrypted).toMatch(
      /^db: #ENC\[AES256_GCM,[^\]]+type:comment\]\n {2}user: ENC\[AES256_GCM,[^\]]+type:str\]\n {2}password: "ENC\[AES256_GCM,[^\]]+\]"\nsops:\n {2}age:\n {4}- enc: \|\n/,
    )
    expect(encrypted).not.toMatch(/admin|s3cr3t|the database/)
  })

  it('writes the metadata as sops 3.13 does, laid out like the file', () => {
    const encrypted = enc('a:\n    b: x\nl:\n- y\n')
    const block = encrypted.slice(encrypted.indexOf('sops:'))
    expect(block).toMatch(
      /^sops:\n {4}age:\n {4}- enc: \|\n {10}-----BEGIN AGE ENCRYPTED FILE-----\n {10}AAAA\n {10}-----END AGE ENCRYPTED FILE-----\n {6}recipient: age1test\n {4}lastmodified: "2025-01-02T03:04:05Z"\n {4}mac: ENC\[AES256_GCM,[^\]]+type:str\]\n {4}unencrypted_suffix: _unencrypted\n {4}version: 3\.13\.2\n$/,
    )
  })
})

describe('documented normalisations: reached in one step, stable after it', () => {
  const cases: [string, string, string][] = [
    ['folded block becomes literal', 'a: >\n  folded\n  text\n', 'a: |\n  folded text\n'],
    ['plain multi-line string is joined', 'a: plain\n  multi line\n', 'a: plain multi line\n'],
    ['escapes that are not needed', 'a: "caf\\u00e9 \\x41"\n', 'a: "café A"\n'],
    ['True / TRUE', 'a: True\nb: TRUE\nc: False\n', 'a: true\nb: true\nc: false\n'],
    ['non-canonical ints', 'a: 0x1F\nb: 0755\nc: 1_000\nd: +12\ne: 0o17\n', 'a: 31\nb: 493\nc: 1000\nd: 12\ne: 15\n'],
    [
      'non-canonical floats (printed as sops -d prints them)',
      'a: 1e3\nb: 1.50\nc: .5\nd: .Inf\ne: 1.0\nf: 1234567.5\n',
      'a: 1000\nb: 1.5\nc: 0.5\nd: .inf\ne: 1\nf: 1.2345675e+06\n',
    ],
    ['integers beyond int64 become strings', 'a: 12345678901234567890\n', "a: '12345678901234567890'\n"],
    [
      'anchors and aliases are expanded',
      'base: &b\n  user: u\nother: *b\ns: &s v\nr: *s\nm:\n  <<: *b\n',
      'base: &b\n  user: u\nother: {user: u}\ns: &s v\nr: v\nm:\n  <<: {user: u}\n',
    ],
    ['single quotes in flow collections', "f: ['a', 'b c', 'x: y']\n", "f: [a, b c, 'x: y']\n"],
    ['single-quoted multi-line string', "a: 'one\n  two'\n", "a: 'one two'\n"],
    ['double-quoted multi-line string', 'a: "one\n  two"\n', 'a: "one two"\n'],
    [
      'nested aliases',
      'x: &x\n  a: 1\ny: &y\n  inner: *x\nz: *y\n',
      'x: &x\n  a: 1\ny: &y\n  inner: {a: 1}\nz: {inner: {a: 1}}\n',
    ],
    ['an alias to a flow list', 'd: &d [1, 2]\nl:\n  - *d\n', 'd: &d [1, 2]\nl:\n  - [1, 2]\n'],
    ['keep chomping with a single final newline', 'a: |+\n  z\nb: x\n', 'a: |\n  z\nb: x\n'],
    ['a block scalar ending the file without a newline', 'a: |\n  x', 'a: |\n  x\n'],
  ]
  it.each(cases)('%s', (_, plain, normalised) => {
    const notices: string[] = []
    const once = text(
      decryptSops(
        encryptSops(bytes(plain), 'yaml', { dataKey, age, rules: {}, onNotice: (m) => notices.push(m) }),
        'yaml',
        dataKey,
      ),
    )
    expect(once).toBe(normalised)
    expect(notices).toHaveLength(1)
    expect(notices[0]).toMatch(/^written in sops's canonical form from line \d+ on/)
    expect(roundTrip(once)).toBe(once)
  })

  it('a round trip without normalisation gives no notice', () => {
    const notices: string[] = []
    encryptSops(bytes('a: 1\n'), 'yaml', { dataKey, age, rules: {}, onNotice: (m) => notices.push(m) })
    expect(notices).toEqual([])
  })
})

describe('types as yaml.v3 (and so sops) reads them', () => {
  const table: [string, string, string][] = [
    ['42', 'int', '42'],
    ['0755', 'int', '493'],
    ['0x1F', 'int', '31'],
    ['1_000', 'int', '1000'],
    ['-0', 'int', '0'],
    ['08', 'float', '8'],
    ['3.14', 'float', '3.14'],
    ['1e3', 'float', '1000'],
    ['1.5e-7', 'float', '0.00000015'],
    ['1e21', 'float', '1000000000000000000000'],
    ['-.inf', 'float', '-Inf'],
    ['.nan', 'float', 'NaN'],
    ['true', 'bool', 'True'],
    ['FALSE', 'bool', 'False'],
    ['yes', 'str', 'yes'],
    ['on', 'str', 'on'],
    ['2024-01-01', 'str', '2024-01-01'],
    ['"42"', 'str', '42'],
    ["'true'", 'str', 'true'],
    ['1e400', 'str', '1e400'],
    ['9223372036854775808', 'str', '9223372036854775808'],
    ['hello world', 'str', 'hello world'],
    ['"unicode ✓"', 'str', 'unicode ✓'],
    ['"multi\\nline"', 'str', 'multi\nline'],
  ]
  it.each(table)('%s → %s', (source, type, plaintext) => {
    const [leaf] = independentCheck(enc(`v: ${source}\n`), 'yaml', dataKey)
    expect(leaf).toEqual({ path: 'v', type, plaintext })
  })

  it('null is never encrypted nor hashed; empty strings stay', () => {
    const encrypted = enc('a: ~\nb: ""\nc: x\n')
    expect(encrypted).toMatch(/^a: ~\nb: ""\nc: ENC/)
    expect(independentCheck(encrypted, 'yaml', dataKey).map((l) => l.path)).toEqual(['b', 'c'])
  })

  it('a list item path has no index: every item of a: {b: [x, [y]]} uses a:b:', () => {
    expect(independentCheck(enc('a:\n  b:\n    - x\n    - - y\n'), 'yaml', dataKey).map((l) => l.path)).toEqual([
      'a:b',
      'a:b',
    ])
  })
})

describe('comments carry the additional data sops would use', () => {
  const commentAds = (src: string): [string, string][] => {
    const out: [string, string][] = []
    for (const m of src.matchAll(/#(ENC\[AES256_GCM,[^\]]+\])/g)) {
      const paths = [':', 'ka:', 'kc:', 'kd:', 'kd:ke:', 'a:', 'a:b:', 'l:', 'f:', 'lorem:']
      const ad = paths.find((p) => {
        try {
          openEnc(m[1]!, dataKey, p)
          return true
        } catch {
          return false
        }
      })
      out.push([openEnc(m[1]!, dataKey, ad!).plaintext, ad!])
    }
    return out
  }

  it('head, line and foot comments, following yaml.v3 placement and sops stores/yaml', () => {
    const src = [
      '# DH1',
      '',
      '# HA1',
      'ka:',
      '  # HB1',
      '  kb: vb # IB',
      '  # FB1',
      '# FA1',
      'kc:',
      '  - x # IX',
      '  # HY',
      '  - y',
      '  - m: 1 # IM',
      '    # FM',
      'kd: # ID',
      '  ke: v',
      '# DF1',
      '',
    ].join('\n')
    expect(commentAds(enc(src))).toEqual([
      [' DH1', ':'],
      [' HA1', ':'],
      [' HB1', 'ka:'],
      [' IB', 'ka:'],
      [' FB1', 'ka:'],
      [' FA1', ':'],
      [' IX', 'kc:'],
      [' HY', 'kc:'],
      [' IM', 'kc:'],
      [' FM', 'kc:'],
      [' ID', ':'],
      [' DF1', ':'],
    ])
  })

  it("sops's functional-test comments_list.yaml: a comment between list items uses the list's path", () => {
    expect(commentAds(enc(fixture('getsops/comments_list.yaml').toString('utf8')))).toEqual([
      ['this-is-a-comment', 'lorem:'],
    ])
  })

  it('flow collections and nested foot comments', () => {
    const src = 'a:\n  b:\n    c: x\n    # foot of c\n  # foot of b\nf: [\n  # in flow\n  x,\n]\n'
    expect(commentAds(enc(src))).toEqual([
      [' foot of c', 'a:b:'],
      [' foot of b', 'a:'],
      [' in flow', 'f:'],
    ])
  })

  it("re-encrypting sops's own example.yaml gives each comment the additional data sops gave it", () => {
    const key = Buffer.from(getsopsKeys['example.yaml']!, 'hex')
    const original = fixture('getsops/example.yaml').toString('utf8')
    const ours = text(encryptSops(decryptSops(bytes(original), 'yaml', key), 'yaml', { dataKey: key, age, rules: {} }))
    const ads = (src: string): string[] =>
      [...src.matchAll(/#(ENC\[AES256_GCM,[^\]]+\])/g)].map(
        (m) =>
          ['app2:db:', 'this:is:a:nested:', ':'].find((p) => {
            try {
              openEnc(m[1]!, key, p)
              return true
            } catch {
              return false
            }
          })!,
      )
    expect(ads(original)).toEqual(['app2:db:', 'this:is:a:nested:', 'this:is:a:nested:', 'this:is:a:nested:'])
    expect(ads(ours)).toEqual(ads(original))
  })

  it('a comment sops placed elsewhere still decrypts (every plausible path is tried)', () => {
    const moved = enc('a:\n  b: x\n  # note\n').replace('\n  #ENC', '\n#ENC')
    expect(dec(moved)).toBe('a:\n  b: x\n# note\n')
  })

  it('comments under an _unencrypted key stay in plaintext, as sops does', () => {
    const encrypted = enc('plain_unencrypted:\n  # visible\n  k: v\nsecret:\n  # hidden\n  k: v\n')
    expect(encrypted).toContain('  # visible\n  k: v\n')
    expect(encrypted).not.toContain('hidden')
  })
})

describe('refused with a clear error', () => {
  const refuse = (plain: string, code: string, message: RegExp): void => expectRefusal(() => enc(plain), code, message)
  it.each([
    ['an int key', 'a: s3cr3t\n1: x\n', 'unsupported', /line 2: a mapping key is a int, not a string/],
    ['a bool key', 'true: s3cr3t\n', 'unsupported', /line 1: a mapping key is a bool/],
    ['a null key', '~: s3cr3t\n', 'unsupported', /key is null/],
    ['a timestamp key', '2024-01-01: s3cr3t\n', 'unsupported', /a timestamp/],
    ['a complex key', '? [a, b]\n: s3cr3t\n', 'unsupported', /not a plain string/],
    ['a top-level list', '- s3cr3t\n', 'unsupported', /top level of a YAML document must be a mapping/],
    ['a top-level scalar', 's3cr3t\n', 'unsupported', /top level/],
    ['the reserved sops key', 'sops: s3cr3t\n', 'unsupported', /reserved/],
    ['a duplicate key', 'a: s3cr3t\na: x\n', 'parse', /DUPLICATE_KEY.*line 2/],
    ['a syntax error', 'a: "s3cr3t\nb: x\n', 'parse', /YAML syntax error \(\w+\) at line \d+, column \d+$/],
    ['an explicit !!int tag', 'a: !!int "5"\n', 'unsupported', /!!int/],
  ])('%s', (_, plain, code, message) => refuse(plain, code, message))
})
