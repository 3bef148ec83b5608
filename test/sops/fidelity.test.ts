/**
 * Agreement with sops 3.13 (issue 13), item by item: what git-seal writes reads in sops the way
 * it reads here (checked with the independent checker of helpers.ts, which computes the MAC as
 * sops does), and what sops writes reads here as `sops -d` prints it (fixtures written by sops
 * 3.13.2's own code, with the `sops -d` output next to each).
 */
import { describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import {
  decryptSops,
  encryptSops,
  isCompleteSopsDocument,
  readSopsMetadata,
  storeForPath,
  verifySopsDocument,
  type SopsRules,
  type SopsStore,
} from '../../src/formats/sops/index.js'
import { bytes, expectRefusal, fixture, independentCheck, openEnc, sealEnc, text, unwrap } from './helpers.js'

const dataKey = new Uint8Array(32).fill(13)
const age = [
  { recipient: 'age1test', enc: '-----BEGIN AGE ENCRYPTED FILE-----\nAAAA\n-----END AGE ENCRYPTED FILE-----\n' },
]
const enc = (store: SopsStore, plain: string, rules: SopsRules = {}): string =>
  text(encryptSops(bytes(plain), store, { dataKey, age, rules }))
const dec = (store: SopsStore, src: string): string => text(decryptSops(bytes(src), store, dataKey))
const ENC_ANY = /ENC\[AES256_GCM,[^\]]*\]/g

describe('1. a JSON integer beyond int64 left unencrypted', () => {
  it('keeps its digits, and the MAC hashes the float sops reads', () => {
    const plain =
      '{"n_unencrypted": 12345678901234567890, "m": 12345678901234567890, "neg_unencrypted": -9223372036854775809}\n'
    const encrypted = enc('json', plain)
    expect(encrypted).toContain('"n_unencrypted": 12345678901234567890,')
    const leaves = independentCheck(encrypted, 'json', dataKey)
    expect(leaves.map((l) => l.plaintext)).toEqual([
      '12345678901234567000',
      '12345678901234567890',
      '-9223372036854776000',
    ])
    expect(JSON.parse(dec('json', encrypted))).toEqual({
      // biome-ignore lint/correctness/noPrecisionLoss: JSON.parse loses the same precision; the literal says what it reads back
      n_unencrypted: 12345678901234567890,
      m: '12345678901234567890',
      // biome-ignore lint/correctness/noPrecisionLoss: as above
      neg_unencrypted: -9223372036854775809,
    })
    expect(dec('json', encrypted)).toContain('"n_unencrypted": 12345678901234567890,')
  })

  it('a number sops cannot load at all (beyond float64) is written as a string', () => {
    const encrypted = enc('json', '{"a_unencrypted": 1e400, "b_unencrypted": 1' + '0'.repeat(400) + '}')
    expect(JSON.parse(encrypted.split(', "sops"')[0] + '}')).toEqual({
      a_unencrypted: '1e400',
      b_unencrypted: '1' + '0'.repeat(400),
    })
    independentCheck(encrypted, 'json', dataKey)
  })
})

describe('2. a YAML integer beyond int64', () => {
  it('in the uint64 range and left unencrypted, is written as a string (sops cannot walk uint64)', () => {
    const encrypted = enc('yaml', 'n_unencrypted: 18446744073709551615\nh_unencrypted: 0xFFFFFFFFFFFFFFFF\nx: 1\n')
    expect(encrypted).toMatch(/^n_unencrypted: '18446744073709551615'\nh_unencrypted: '0xFFFFFFFFFFFFFFFF'\n/)
    expect(parseYaml(encrypted).n_unencrypted).toBe('18446744073709551615')
    independentCheck(encrypted, 'yaml', dataKey)
  })

  it('beyond uint64 and left unencrypted, stays as written (a float to sops); encrypted, it is a string', () => {
    const encrypted = enc('yaml', 'f_unencrypted: 123456789012345678901234\ne: 123456789012345678901234\n')
    expect(encrypted).toMatch(/^f_unencrypted: 123456789012345678901234\ne: ENC\[[^\]]*type:str\]\n/)
    expect(independentCheck(encrypted, 'yaml', dataKey).map((l) => l.plaintext)).toEqual([
      '123456789012345690000000',
      '123456789012345678901234',
    ])
    expect(dec('yaml', encrypted)).toBe("f_unencrypted: 123456789012345678901234\ne: '123456789012345678901234'\n")
  })

  it('a file holding a plaintext uint64, which sops cannot read, is refused', () => {
    const encrypted = enc('yaml', 'n_unencrypted: 1\n').replace(
      'n_unencrypted: 1',
      'n_unencrypted: 18446744073709551615',
    )
    expectRefusal(() => dec('yaml', encrypted), 'unsupported', /line 1: a number sops cannot load/)
  })
})

describe('3. INI comment blocks are encrypted the way sops reads them', () => {
  const plain = '; first\n; second\n[s]\n# about k\n   ; indented\n\n# after blank\nk = v ; inline\nj = w\n'

  it('one ciphertext per block, on its first line, holding every line (as go-ini joins them)', () => {
    const encrypted = enc('ini', plain)
    const lines = encrypted.split('\n')
    expect(lines.slice(0, 9).map((l) => l.replace(ENC_ANY, 'ENC'))).toEqual([
      '; ENC',
      ';',
      '[s]',
      '# ENC',
      '   ;',
      '',
      '#',
      'k = ENC ;',
      'j = ENC',
    ])
    expect(openEnc(lines[0]!.slice(2), dataKey, 's:')).toEqual({ type: 'comment', plaintext: 'first\n; second' })
    expect(openEnc(lines[3]!.slice(2), dataKey, 's:')).toEqual({
      type: 'comment',
      plaintext: 'about k\n; indented\n# after blank\n; inline',
    })
    expect(independentCheck(encrypted, 'ini', dataKey).map((l) => `${l.path}=${l.plaintext}`)).toEqual([
      's:k=v',
      's:j=w',
    ])
    expect(dec('ini', encrypted)).toBe(plain)
  })

  it('a ciphertext goes on its own line where go-ini would not read it (after a section header or a multi-line value)', () => {
    const encrypted = enc('ini', '[t] ; about t\nm = """a\nb""" ; after\n')
    expect(encrypted.replace(ENC_ANY, 'ENC')).toMatch(/^; ENC\n\[t\]\n; ENC\nm = """ENC"""\n/)
    expect(dec('ini', encrypted)).toBe('; about t\n[t]\n; after\nm = """a\nb"""\n')
  })

  it('a comment go-ini ignores (after a one-line quoted value) is encrypted all the same', () => {
    const encrypted = enc('ini', '[t]\nq = `x` ; note\n')
    expect(encrypted).not.toContain('note')
    expect(dec('ini', encrypted)).toBe('[t]\nq = `x` ; note\n')
  })

  it('a block sops wrote as one line decrypts to every line, as sops -d prints it', () => {
    const encrypted = enc('ini', '[s]\n; about k\nk = v\n').replace(
      /; ENC\[[^\]]*\]/,
      () => `; ${sealEnc('about k\n# more\n; note', 'comment', dataKey, 's:')}`,
    )
    expect(dec('ini', encrypted)).toBe('[s]\n; about k\n# more\n; note\nk = v\n')
  })
})

describe('4. a YAML lone surrogate escape', () => {
  it.each(['a: "\\uD800"\n', 'a_unencrypted: "x\\uDC00"\n', '"\\uD800": x\n'])(
    '%s is refused, as sops cannot parse it',
    (plain) => {
      expectRefusal(() => enc('yaml', plain), 'unsupported', /half a UTF-16 surrogate pair/)
    },
  )

  it('a pair written as two escapes is one character, and fine', () => {
    expect(dec('yaml', enc('yaml', 'a: "\\uD83D\\uDD11"\n'))).toBe('a: "🔑"\n')
  })
})

describe('10. the metadata version must be one sops accepts', () => {
  const encrypted = enc('yaml', 'a: 1\n')
  it.each(['3.13.2', 'v3.7.3', '3.0.0-rc.1+build.5', '1.14', '1.x'])('%s decrypts', (version) => {
    const src = encrypted.replace('version: 3.13.2', `version: ${version}`)
    expect(dec('yaml', src)).toBe('a: 1\n')
    expect(isCompleteSopsDocument(bytes(src), 'yaml')).toBe(true)
  })

  it.each([
    '3.13',
    '3.013.2',
    'abc',
    '3.13.2-',
    '3.13.2+',
    '3.13.2-a..b',
    '18446744073709551616.0.0',
    '3.x.1',
    '',
    'V3.1.0',
  ])('%j is refused, as sops refuses it', (version) => {
    const src = encrypted.replace('version: 3.13.2', `version: "${version}"`)
    expectRefusal(() => dec('yaml', src), 'parse', /version is not a semantic version/)
    expect(isCompleteSopsDocument(bytes(src), 'yaml')).toBe(false)
  })

  it.each(['json', 'dotenv', 'ini', 'binary'] as const)('in %s too', (store) => {
    const plain = store === 'json' ? '{"a": "x"}' : store === 'ini' ? '[s]\na = x\n' : 'a=x\n'
    const src = enc(store, plain).replace(/(version"?\s*[:=]\s*"?)3\.13\.2/, '$1three')
    expect(src).toContain('three')
    expectRefusal(() => dec(store, src), 'parse', /version is not a semantic version/)
  })
})

// ---- files sops 3.13.2 wrote (test/fixtures/sops/sops-3.13, README there) ----------------------

const FIXTURE_IDENTITY = fixture('sops-3.13/key.txt')
  .toString('utf8')
  .split('\n')
  .find((l) => l.startsWith('AGE-SECRET-KEY-'))!
const storeOf = (name: string): SopsStore => storeForPath(name.replace(/\.(yaml|json|env|ini)$/, '.$1'))!
async function sopsFile(
  name: string,
): Promise<{ src: Buffer; store: SopsStore; key: Uint8Array; sopsD: string; plain: string }> {
  const src = fixture(`sops-3.13/${name}`)
  const store = storeOf(name)
  const key = await unwrap(readSopsMetadata(src, store)!.age[0]!.enc, FIXTURE_IDENTITY)
  const sopsD = fixture(`sops-3.13/${name.replace('.enc.', '.sops-d.')}`).toString('utf8')
  const plain = fixture(`sops-3.13/${name.replace('.enc.', '.plain.')}`).toString('utf8')
  return { src, store, key, sopsD, plain }
}

describe('files sops 3.13.2 wrote decrypt as `sops -d` prints them, and prove to be ciphertext', () => {
  it.each([
    'seq-merge.enc.yaml',
    'comment-regex.enc.yaml',
    'comment-regex.enc.env',
    'comment-regex.enc.ini',
    'comments.enc.ini',
    'floats.enc.json',
    'floats.enc.yaml',
  ])('%s', async (name) => {
    const { src, store, key, sopsD } = await sopsFile(name)
    expect(text(decryptSops(src, store, key))).toBe(sopsD)
    expect(text(verifySopsDocument(src, store, key))).toBe(sopsD)
    expect(isCompleteSopsDocument(src, store)).toBe(true)
    independentCheck(text(src), store as 'yaml', key, { encrypted: 'as-found' })
  })

  it('comment-regex-unenc.enc.yaml: the same values (sops -d quotes `no`, which is a string either way)', async () => {
    const { src, key, sopsD } = await sopsFile('comment-regex-unenc.enc.yaml')
    const ours = text(decryptSops(src, 'yaml', key))
    expect(parseYaml(ours)).toEqual(parseYaml(sopsD))
    expect(ours).toBe(sopsD.replace('"no"', 'no'))
  })
})

describe('5. a comment sops stored as a sequence item (`- ENC[...,type:comment]`)', () => {
  it('decrypts to a comment line where the item was, outside the MAC', async () => {
    const { src, key, sopsD } = await sopsFile('seq-merge.enc.yaml')
    expect(text(src)).toMatch(/\n {4}- ENC\[AES256_GCM,[^\]]*type:comment\]\n/)
    expect(text(decryptSops(src, 'yaml', key))).toContain(
      'users:\n    # - removed@example.com\n    - alice@example.com\n    # on call\n    - bob@example.com\n',
    )
    expect(sopsD).toContain('    # - removed@example.com\n')
  })

  it('re-encrypted, the comment becomes a comment line (which every sops version reads) and the values keep their ciphertext', async () => {
    const { src, key } = await sopsFile('seq-merge.enc.yaml')
    const plain = decryptSops(src, 'yaml', key)
    const again = text(
      encryptSops(plain, 'yaml', {
        dataKey: key,
        age: readSopsMetadata(src, 'yaml')!.age,
        rules: {},
        previous: { bytes: src, dataKey: key },
      }),
    )
    expect(again).not.toMatch(/- ENC\[[^\]]*type:comment\]/)
    expect(again).toMatch(/\n {4}#ENC\[AES256_GCM,[^\]]*type:comment\]\n {4}- ENC/)
    const ciphertexts = (s: string): string[] =>
      (s.match(/ENC\[[^\]]*type:(?:str|int)\]/g) ?? []).filter((c) => !c.includes('type:comment'))
    expect(ciphertexts(again).slice(0, -1)).toEqual(ciphertexts(text(src)).slice(0, -1))
    expect(text(decryptSops(bytes(again), 'yaml', key))).toBe(text(plain))
  })

  it('a `- ENC[...,type:comment]` is a comment only directly in a sequence: under a key it is a damaged value', () => {
    const encrypted = enc('yaml', 'a: x\n').replace(/a: ENC\[[^\]]*\]/, `a: ${sealEnc('c', 'comment', dataKey, 'a:')}`)
    expectRefusal(() => dec('yaml', encrypted), 'bad-value', /unknown value type/)
  })
})

describe('7. encrypted_comment_regex and unencrypted_comment_regex', () => {
  const valueStates = (src: string, store: SopsStore, key: Uint8Array): string[] =>
    independentCheck(src, store as 'yaml', key, { encrypted: 'as-found' }).map(
      (l) => `${l.path}:${['str', 'int', 'float', 'bool'].includes(l.type) ? 'ENC' : 'plain'}`,
    )
  const commentCiphertexts = (src: string): number => (src.match(/type:comment\]/g) ?? []).length

  it.each([
    ['comment-regex.enc.yaml', { encryptedCommentRegex: 'sops:enc' }],
    ['comment-regex-unenc.enc.yaml', { unencryptedCommentRegex: 'sops:plain' }],
    ['comment-regex.enc.env', { encryptedCommentRegex: 'sops:enc' }],
    ['comment-regex.enc.ini', { encryptedCommentRegex: 'sops:enc' }],
  ] as [string, SopsRules][])(
    '%s: git-seal encrypts the same values and comments as sops did, and reads the rule back',
    async (name, rules) => {
      const { src, store, key, plain } = await sopsFile(name)
      const ours = text(
        encryptSops(bytes(plain), store, { dataKey: key, age: readSopsMetadata(src, store)!.age, rules }),
      )
      expect(valueStates(ours, store, key)).toEqual(valueStates(text(src), store, key))
      expect(commentCiphertexts(ours)).toBe(commentCiphertexts(text(src)))
      expect(readSopsMetadata(bytes(ours), store)!.rules).toEqual(rules)
      expect(text(decryptSops(bytes(ours), store, key))).toBe(plain)
      expect(text(verifySopsDocument(bytes(ours), store, key))).toBe(plain)
    },
  )

  it('a comment turning encryption on stays readable; what follows it, at its level and under it, is encrypted', () => {
    const encrypted = enc('yaml', '# sops:enc\ndb:\n  user: u # note\n  pass: p\nplain: x\n', {
      encryptedCommentRegex: 'sops:enc',
    })
    expect(encrypted.replace(ENC_ANY, 'ENC').split('sops:\n')[0]).toBe(
      '# sops:enc\ndb:\n  user: ENC #ENC\n  pass: ENC\nplain: x\n',
    )
  })

  it('unencrypted_comment_regex leaves the next item and its comments readable', () => {
    const encrypted = enc('dotenv', 'A=1\n# public\nB=2\n#  later\nC=3\n', { unencryptedCommentRegex: 'public' })
    expect(encrypted.replace(ENC_ANY, 'ENC').split('sops_')[0]).toBe('A=ENC\n# public\nB=2\n#ENC\nC=ENC\n')
  })

  it("a matching comment whose place in sops's tree is not certain is refused; other such comments are encrypted", () => {
    expectRefusal(
      () => enc('yaml', 'a:\n  b:\n    x: 1\n  # sops:enc\nz: 2\n', { encryptedCommentRegex: 'sops:enc' }),
      'unsupported',
      /line 4: a comment matching encrypted_comment_regex must be directly above/,
    )
    const encrypted = enc('yaml', '# sops:enc\na:\n  b:\n    x: 1\n  # odd place\nz: 2\n', {
      encryptedCommentRegex: 'sops:enc',
    })
    expect(encrypted).not.toContain('odd place')
  })

  it('refuses, as sops does, an encrypted comment that would match unencrypted_comment_regex', () => {
    expectRefusal(
      () => enc('yaml', '# x\na: 1\n', { unencryptedCommentRegex: 'AES256' }),
      'unsupported',
      /matches unencrypted_comment_regex/,
    )
  })
})

describe('8. a merge key sops wrote as `!!merge <<:`', () => {
  it('is the key `<<`, and its values decrypt under it', async () => {
    const { src, key, sopsD } = await sopsFile('seq-merge.enc.yaml')
    expect(text(src)).toContain('    !!merge <<:\n        region: ENC[')
    expect(text(decryptSops(src, 'yaml', key))).toContain(
      'service:\n    !!merge <<:\n        region: eu-west-1\n        retries: 3\n    token: t0k3n\n',
    )
    expect(parseYaml(text(decryptSops(src, 'yaml', key)))).toEqual(parseYaml(sopsD))
  })

  it('round trips when git-seal encrypts it', () => {
    const plain = 'base:\n  a: 1\nm:\n  !!merge <<:\n    a: 1\n  b: 2\n'
    const encrypted = enc('yaml', plain)
    expect(independentCheck(encrypted, 'yaml', dataKey).map((l) => l.path)).toEqual(['base:a', 'm:<<:a', 'm:b'])
    expect(dec('yaml', encrypted)).toBe(plain)
  })
})

describe('9. an integral float (`type:float`)', () => {
  it.each(['floats.enc.json', 'floats.enc.yaml'])(
    '%s: checks out as sops -d prints it; re-encrypted, it keeps its stored float ciphertext',
    async (name) => {
      const { src, store, key, sopsD } = await sopsFile(name)
      const plain = decryptSops(src, store, key)
      expect(text(plain)).toBe(sopsD)
      expect(text(plain)).toMatch(/"?replicas"?: 7,?\n/)
      const again = text(
        encryptSops(plain, store, {
          dataKey: key,
          age: readSopsMetadata(src, store)!.age,
          rules: {},
          previous: { bytes: src, dataKey: key },
        }),
      )
      const floats = (s: string): string[] => s.match(/ENC\[[^\]]*type:float\]/g) ?? []
      expect(floats(again)).toEqual(floats(text(src)))
      expect(floats(again)).toHaveLength(3)
      expect(readSopsMetadata(bytes(again), store)!.mac).toBe(readSopsMetadata(src, store)!.mac)
    },
  )

  it('without a previous version, an integer is an int', () => {
    expect(enc('json', '{"a": 7}')).toMatch(/"a": "ENC\[[^\]]*type:int\]"/)
  })
})
