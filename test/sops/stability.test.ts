/**
 * Stable, minimal ciphertext: re-encrypting with the previous version changes only what
 * changed (that value's ENC, the MAC, lastmodified); completing a partly encrypted document;
 * the encryption rules (suffixes, regexes, mac_only_encrypted); describing without a key.
 */
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  completeSopsDocument,
  decryptSops,
  describeSops,
  encryptSops,
  isCompleteSopsDocument,
  readSopsMetadata,
  SopsError,
  type SopsRules,
  type SopsStore,
} from '../../src/formats/sops/index.js'
import { bytes, changedLines, fixture, getsopsKeys, independentCheck, openEnc, text } from './helpers.js'

const dataKey = new Uint8Array(32).fill(3)
const otherKey = new Uint8Array(32).fill(4)
const age = [
  { recipient: 'age1test', enc: '-----BEGIN AGE ENCRYPTED FILE-----\nAAAA\n-----END AGE ENCRYPTED FILE-----\n' },
]
const t1 = new Date('2025-01-01T00:00:00Z')
const t2 = new Date('2025-06-01T00:00:00Z')
const encrypt = (
  store: SopsStore,
  plain: string,
  opts: { now?: Date; previous?: string; key?: Uint8Array; rules?: SopsRules } = {},
): string =>
  text(
    encryptSops(bytes(plain), store, {
      dataKey: opts.key ?? dataKey,
      age,
      rules: opts.rules ?? {},
      now: opts.now ?? t1,
      ...(opts.previous !== undefined ? { previous: { bytes: bytes(opts.previous), dataKey } } : {}),
    }),
  )

const samples: [SopsStore, string, string, number, RegExp, RegExp][] = [
  [
    'yaml',
    'a: one\nb:\n  c: two\n  d: 3\n# note\n',
    'a: one\nb:\n  c: TWO\n  d: 3\n# note\n',
    3,
    /^ {2}lastmodified:/,
    /^ {2}mac:/,
  ],
  [
    'json',
    '{\n  "a": "one",\n  "b": {"c": "two", "d": 3}\n}\n',
    '{\n  "a": "one",\n  "b": {"c": "TWO", "d": 3}\n}\n',
    3,
    /"lastmodified"/,
    /"mac"/,
  ],
  ['dotenv', 'A=one\n# note\nC=two\nD=3\n', 'A=one\n# note\nC=TWO\nD=3\n', 3, /^sops_lastmodified=/, /^sops_mac=/],
  ['ini', '[b]\na = one\nc = two\nd = 3\n', '[b]\na = one\nc = TWO\nd = 3\n', 3, /^lastmodified = /, /^mac = /],
  ['binary', 'one\ntwo\n', 'one\nTWO\n', 2, /"lastmodified"/, /"mac"/],
]

describe('re-encrypting with the previous version', () => {
  it.each(samples)(
    '%s: one changed value changes only its ENC, the MAC and lastmodified',
    (store, before, after, line, lastmodified, mac) => {
      const e1 = encrypt(store, before)
      const e2 = encrypt(store, after, { previous: e1, now: t2 })
      const lines = e2.split('\n')
      const changed = changedLines(e1, e2)
      expect(changed).toHaveLength(3)
      expect(changed[0]).toBe(line)
      expect(lines[changed[1]! - 1]).toMatch(lastmodified)
      expect(lines[changed[2]! - 1]).toMatch(mac)
      expect(text(decryptSops(bytes(e2), store, dataKey))).toBe(after)
    },
  )

  it.each(samples)('%s: unchanged plaintext gives identical bytes (lastmodified kept)', (store, before) => {
    const e1 = encrypt(store, before)
    expect(encrypt(store, before, { previous: e1, now: t2 })).toBe(e1)
  })

  it('a changed value always gets a fresh IV, even when changed back', () => {
    const e1 = encrypt('yaml', 'a: x\n')
    const e2 = encrypt('yaml', 'a: y\n', { previous: e1 })
    const e3 = encrypt('yaml', 'a: x\n', { previous: e2 })
    const iv = (s: string): string => /^a: ENC\[AES256_GCM,data:[^,]*,iv:([^,]+)/m.exec(s)![1]!
    expect(new Set([iv(e1), iv(e2), iv(e3)]).size).toBe(3)
  })

  it('the same plaintext under another key path is not reused (additional data differs)', () => {
    const e1 = encrypt('yaml', 'a: x\n')
    const e2 = encrypt('yaml', 'a: x\nb: x\n', { previous: e1 })
    const values = [...e2.matchAll(/^[ab]: (ENC\[[^\n]+)$/gm)].map((m) => m[1])
    expect(values[0]).toBe(/^a: (ENC\[[^\n]+)$/m.exec(e1)![1])
    expect(values[1]).not.toBe(values[0])
  })

  it('a moved value (same path) and a type change', () => {
    const e1 = encrypt('yaml', 'a: "1"\nb: x\n')
    const e2 = encrypt('yaml', 'b: x\na: 1\n', { previous: e1 })
    expect(/^b: (ENC\S+)$/m.exec(e2)![1]).toBe(/^b: (ENC\S+)$/m.exec(e1)![1])
    expect(e2).toMatch(/^a: ENC\[[^\n]+type:int\]$/m)
  })

  it('nothing is reused from a previous version under another data key, or one that does not decrypt', () => {
    const e1 = encrypt('yaml', 'a: x\nb: y\n', { key: otherKey })
    const e2 = encrypt('yaml', 'a: x\nb: y\n', { previous: e1 })
    expect(changedLines(e1, e2).slice(0, 2)).toEqual([1, 2])
    const broken = e1.replace(/mac: ENC\[AES256_GCM,data:./, 'mac: ENC[AES256_GCM,data:#')
    expect(() => encrypt('yaml', 'a: x\n', { previous: broken })).not.toThrow()
  })
})

describe('completing a sops document with values added in plaintext', () => {
  const cases: [SopsStore, string, (enc: string) => string, string][] = [
    ['yaml', 'a: one\n# c\n', (e) => e.replace('sops:', 'added: two # new\nsops:'), 'a: one\n# c\nadded: two # new\n'],
    [
      'json',
      '{\n  "a": "one"\n}\n',
      (e) => e.replace('\n  "sops"', '\n  "added": "two",\n  "sops"'),
      '{\n  "a": "one",\n  "added": "two"\n}\n',
    ],
    ['dotenv', 'A=one\n', (e) => e.replace('sops_age', 'ADDED=two\nsops_age'), 'A=one\nADDED=two\n'],
    ['ini', '[s]\na = one\n', (e) => e.replace('a = ENC', 'added = two\na = ENC'), '[s]\nadded = two\na = one\n'],
  ]
  it.each(cases)('%s', (store, plain, addPlaintext, expected) => {
    const full = encrypt(store, plain)
    const partial = addPlaintext(full)
    expect(isCompleteSopsDocument(bytes(partial), store)).toBe(false)
    expect(() => decryptSops(bytes(partial), store, dataKey)).toThrow(expect.objectContaining({ code: 'bad-value' }))
    const completed = text(completeSopsDocument(bytes(partial), store, dataKey, t2))
    expect(isCompleteSopsDocument(bytes(completed), store)).toBe(true)
    // outside the ENC[...] values (random base64 may spell anything)
    expect(completed.replace(/ENC\[[^\]]*\]/g, '')).not.toMatch(/two|new/)
    expect(text(decryptSops(bytes(completed), store, dataKey))).toBe(expected)
    const kept = partial.split('\n').filter((l) => /ENC\[/.test(l) && !/mac|lastmodified/.test(l) && !/two/.test(l))
    for (const line of kept) expect(completed).toContain(line)
    expect(readSopsMetadata(bytes(completed), store)!.lastmodified).toBe('2025-06-01T00:00:00Z')
  })

  it('a complete document comes back unchanged', () => {
    const full = encrypt('yaml', 'a: one\n')
    expect(text(completeSopsDocument(bytes(full), 'yaml', dataKey, t2))).toBe(full)
  })

  it('fails closed without the right data key', () => {
    const partial = encrypt('yaml', 'a: one\n').replace('sops:', 'b: two\nsops:')
    expect(() => completeSopsDocument(bytes(partial), 'yaml', otherKey)).toThrow(SopsError)
  })

  it('a sops file written by sops itself with a value added', () => {
    const key = Buffer.from(getsopsKeys['example.yaml']!, 'hex')
    const partial = fixture('getsops/example.yaml').toString('utf8').replace('sops:', 'added: value\nsops:')
    const completed = text(completeSopsDocument(bytes(partial), 'yaml', key, t2))
    const plain = text(decryptSops(bytes(completed), 'yaml', key))
    expect(plain).toContain('\nadded: value\n')
    expect(plain).toContain('myapp1: t00m4nys3cr3tzupdated\n')
  })

  it('plaintext comments are encrypted too', () => {
    const partial = encrypt('yaml', 'a: one\n').replace('sops:', '# added note\nsops:')
    const completed = text(completeSopsDocument(bytes(partial), 'yaml', dataKey, t2))
    expect(completed).not.toContain('added note')
    expect(text(decryptSops(bytes(completed), 'yaml', dataKey))).toBe('a: one\n# added note\n')
  })
})

describe('other key groups', () => {
  it('pgp entries of a file sops wrote are kept when git-seal re-encrypts it with the same data key', () => {
    const key = Buffer.from(getsopsKeys['example.yaml']!, 'hex')
    const original = fixture('getsops/example.yaml')
    const meta = readSopsMetadata(original, 'yaml')!
    expect(Object.keys(meta.otherKeys)).toEqual(['pgp'])
    const plain = decryptSops(original, 'yaml', key)
    const ours = encryptSops(plain, 'yaml', { dataKey: key, age, rules: meta.rules, otherKeys: meta.otherKeys })
    const again = readSopsMetadata(ours, 'yaml')!
    expect(again.otherKeys).toEqual(meta.otherKeys)
    expect(text(ours)).toMatch(
      /\n {4}pgp:\n {8}- created_at: "2019-12-10T22:45:53Z"\n {10}enc: \|-\n {14}-----BEGIN PGP MESSAGE-----\n/,
    )
    expect(text(decryptSops(ours, 'yaml', key))).toBe(text(plain))
  })
})

describe('encryption rules', () => {
  const plain =
    'name: app\nsecret_key: s1\ndb:\n  password: s2\n  host_unencrypted: h\npublic_url: u\ndata:\n  token: s3\n'
  const encryptedPaths = (rules: SopsRules): string[] => {
    const e = encrypt('yaml', plain, { rules })
    return [...e.split('sops:')[0]!.matchAll(/^\s*([\w]+): ENC/gm)].map((m) => m[1]!)
  }

  it.each([
    [{}, ['name', 'secret_key', 'password', 'public_url', 'token']],
    [{ unencryptedSuffix: '_key' }, ['name', 'password', 'host_unencrypted', 'public_url', 'token']],
    [{ encryptedSuffix: '_key' }, ['secret_key']],
    [{ unencryptedRegex: '^(public|name)' }, ['secret_key', 'password', 'host_unencrypted', 'token']],
    [{ encryptedRegex: '^(data|db)$' }, ['password', 'host_unencrypted', 'token']],
    [{ encryptedRegex: '(?i)^DATA$' }, ['token']],
  ] as [SopsRules, string[]][])('%o', (rules, expected) => {
    expect(encryptedPaths(rules)).toEqual(expected)
    const e = encrypt('yaml', plain, { rules })
    expect(text(decryptSops(bytes(e), 'yaml', dataKey))).toBe(plain)
  })

  it('the rule is recorded in the metadata (and read back)', () => {
    const e = encrypt('yaml', plain, { rules: { encryptedRegex: '^(data|db)$' } })
    expect(e).toContain('  encrypted_regex: ^(data|db)$\n')
    expect(e).not.toContain('unencrypted_suffix')
    expect(readSopsMetadata(bytes(e), 'yaml')!.rules).toEqual({ encryptedRegex: '^(data|db)$' })
  })

  it('unencrypted values are in the MAC: changing one is detected', () => {
    const e = encrypt('yaml', plain)
    expect(() =>
      decryptSops(bytes(e.replace('host_unencrypted: h', 'host_unencrypted: evil')), 'yaml', dataKey),
    ).toThrow(expect.objectContaining({ code: 'bad-mac' }))
  })

  it('mac_only_encrypted: the MAC covers only encrypted values, after SHA-256("sops")', () => {
    const e = encrypt('yaml', 'a: x\nb_unencrypted: y\n', { rules: { macOnlyEncrypted: true } })
    expect(e).toContain('  mac_only_encrypted: true\n')
    const mac = openEnc(/^ {2}mac: (\S+)$/m.exec(e)![1]!, dataKey, '2025-01-01T00:00:00Z').plaintext
    const init = createHash('sha256').update('sops').digest()
    expect(mac).toBe(createHash('sha512').update(init).update('x').digest('hex').toUpperCase())
    expect(text(decryptSops(bytes(e.replace('b_unencrypted: y', 'b_unencrypted: z')), 'yaml', dataKey))).toBe(
      'a: x\nb_unencrypted: z\n',
    )
    expect(() => independentCheck(e, 'yaml', dataKey)).toThrow(/MAC/)
  })

  it.each([
    [{ encryptedSuffix: 'a', encryptedRegex: 'b' }, /at most one of/],
    [{ unencryptedCommentRegex: 'x', encryptedSuffix: 'y' }, /at most one of/],
    [{ encryptedRegex: '(' }, /encrypted_regex/],
  ] as [SopsRules, RegExp][])('refuses %o', (rules, message) => {
    expect(() => encrypt('yaml', 'a: x\n', { rules })).toThrow(
      expect.objectContaining({ code: 'unsupported', message: expect.stringMatching(message) }),
    )
  })
})

describe('describing a sops document without its key', () => {
  it('lists recipients and value paths with their stored text', () => {
    const e = encrypt('yaml', 'a: x\nl:\n  - y\n  - k: z\nn: ~\n')
    const d = describeSops(bytes(e), 'yaml')!
    expect(d.recipients).toEqual(['age1test'])
    expect(d.keys).toEqual(['["a"]', '["l"][0]', '["l"][1]["k"]'])
    expect(d.values.every((v) => v.stored.startsWith('ENC[AES256_GCM,'))).toBe(true)
    expect(describeSops(bytes('a: x\n'), 'yaml')).toBeNull()
    expect(describeSops(bytes(encrypt('binary', 'x')), 'binary')!.keys).toEqual(['["data"]'])
  })
})
