/**
 * The two halves of interoperability: files the real sops wrote decrypt here with their MAC
 * verified, and files written here decrypt with sops-age (a JavaScript sops reader we did not
 * write) and pass a MAC check written independently of the encryptor (helpers.ts).
 */
import { describe, expect, it } from 'vitest'
import { decryptSops as sopsAge } from 'sops-age'
import { parse as parseYaml } from 'yaml'
import {
  decryptSops,
  encryptSops,
  readSopsMetadata,
  SopsError,
  storeForPath,
  type SopsStore,
} from '../../src/formats/sops/index.js'
import { bytes, fixture, getsopsKeys, independentCheck, newAgeKey, newDataKey, text, unwrap, wrap } from './helpers.js'

const HUMPHD_IDENTITY = fixture('humphd/key.txt')
  .toString('utf8')
  .split('\n')
  .find((l) => l.startsWith('AGE-SECRET-KEY-'))!
const getsopsKey = (name: string): Uint8Array => Buffer.from(getsopsKeys[name]!, 'hex')

describe('files written by sops decrypt with their MAC verified', () => {
  it.each([
    ['secret.enc.yaml', 'yaml'],
    ['secret.enc.json', 'json'],
  ] as const)('humphd %s (sops 3.8/3.9, age)', async (name, store) => {
    const src = fixture(`humphd/${name}`)
    const meta = readSopsMetadata(src, store)!
    expect(meta.age.map((e) => e.recipient)).toContain('age1je6kjhzuhdjy3fqptpttxjh5k8q46vygzlgtpuq3030c947pc5tqz9dqvr')
    const key = await unwrap(meta.age[0]!.enc, HUMPHD_IDENTITY)
    const plain = text(decryptSops(src, store, key))
    const expected = JSON.parse(fixture('humphd/secret.json').toString('utf8'))
    const got = store === 'json' ? JSON.parse(plain) : parseYaml(plain)
    expect(got).toEqual(store === 'json' ? expected : (({ '0word': _, ...rest }) => rest)(expected))
  })

  it('humphd secret.enc.env (sops 3.8, dotenv)', async () => {
    const src = fixture('humphd/secret.enc.env')
    const key = await unwrap(readSopsMetadata(src, 'dotenv')!.age[0]!.enc, HUMPHD_IDENTITY)
    expect(text(decryptSops(src, 'dotenv', key))).toBe('secret=this is a secret\nanother_secret=7\n')
  })

  it.each([
    ['format.enc.yaml', 'foo: bar\n'],
    ['format.enc.json', '{\n\t"foo": "bar"\n}\n'],
    ['format.enc.env', 'foo = bar\n'],
    ['format.enc.ini', '[foo]\nbar = baz\n'],
    ['format-2.enc.ini', '[foo]\nbar = baz\n'],
    ['multiple_keys.yaml', 'message: hello\n'],
    ['comments.enc.yaml', '# first comment in file\nlorem: ipsum\n# this-is-a-comment\ndolor: sit\n'],
    ['comments_unencrypted_comments.yaml', '# first comment in file\nlorem: ipsum\n# this-is-a-comment\ndolor: sit\n'],
  ])('getsops %s', (name, expected) => {
    expect(text(decryptSops(fixture(`getsops/${name}`), storeForPath(name)!, getsopsKey(name)))).toBe(expected)
  })

  it('getsops example.yaml: nested maps, lists, a literal block, comments, _unencrypted values', () => {
    const plain = text(decryptSops(fixture('getsops/example.yaml'), 'yaml', getsopsKey('example.yaml')))
    const doc = parseYaml(plain)
    expect(doc.app2.db).toEqual({ user: 'eve', password: 'c4r1b0u' })
    expect(doc.app2.key).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n[\s\S]+-----END RSA PRIVATE KEY-----\n$/)
    expect(doc.somebooleans).toEqual([true, false])
    expect(doc.this.is.a.nested.value).toBe('with something secret in it')
    expect(doc.nested_unencrypted.this.is.all).toBe('going to remain in clear text')
    expect(plain).toContain('        # private key for secret operations in app2\n')
    expect(plain).toContain('                # by adding the `_unencrypted` suffix\n')
    expect(plain).not.toContain('sops:')
  })

  it('getsops example.json, example.ini, example.txt (binary)', () => {
    const json = JSON.parse(text(decryptSops(fixture('getsops/example.json'), 'json', getsopsKey('example.json'))))
    expect(json.phoneNumbers[1]).toEqual({ number: '646 555-4567', type: 'office' })
    expect(json.anEmptyValue).toBe('')
    const ini = text(decryptSops(fixture('getsops/example.ini'), 'ini', getsopsKey('example.ini')))
    expect(ini).toContain('; An example file for use with sops!\n[name]\nfirstName = John\n')
    expect(ini).toContain('[not private]\nnotsecret_unencrypted = hi there!\n')
    expect(ini).not.toContain('[sops]')
    const bin = text(decryptSops(fixture('getsops/example.txt'), 'binary', getsopsKey('example.txt')))
    expect(bin).toMatch(/^Welcome to SOPS!\n/)
  })

  it('a file without a MAC is refused', () => {
    expect(() => decryptSops(fixture('getsops/no_mac.yaml'), 'yaml', getsopsKey('no_mac.yaml'))).toThrow(
      expect.objectContaining({ code: 'bad-mac' }),
    )
  })
})

describe('tampering is detected and named, never quoting a value', () => {
  const name = 'example.yaml'
  const src = fixture(`getsops/${name}`).toString('utf8')
  const key = getsopsKey(name)
  const attempt = (changed: string): SopsError => {
    try {
      decryptSops(bytes(changed), 'yaml', key)
    } catch (e) {
      expect(e).toBeInstanceOf(SopsError)
      expect((e as Error).message).not.toMatch(/eve|c4r1b0u|secretuser|t00m4ny/)
      return e as SopsError
    }
    throw new Error('tampering went unnoticed')
  }

  it('a changed ciphertext byte', () => {
    const e = attempt(
      src.replace(/(password: ENC\[AES256_GCM,data:)(.)/, (_, p: string, c: string) => p + (c === 'A' ? 'B' : 'A')),
    )
    expect(e.code).toBe('bad-value')
    expect(e.message).toContain("'app2:db:password:'")
    expect(e.message).toContain('line 5')
  })

  it('a ciphertext moved to another key (its key path is its additional data)', () => {
    const user = /user: (ENC\[[^\]]+\])/.exec(src)![1]!
    const password = /password: (ENC\[[^\]]+\])/.exec(src)![1]!
    const e = attempt(src.replace(user, '@@').replace(password, user).replace('@@', password))
    expect(e.code).toBe('bad-value')
  })

  it('a removed value, a changed unencrypted value, a changed MAC or lastmodified', () => {
    expect(attempt(src.replace(/^number: .*\n/m, '')).code).toBe('bad-mac')
    expect(attempt(src.replace('remain in clear text', 'remain in plain text')).code).toBe('bad-mac')
    expect(
      attempt(src.replace(/(mac: ENC\[AES256_GCM,data:)(.)/, (_, p: string, c: string) => p + (c === 'A' ? 'B' : 'A')))
        .code,
    ).toBe('bad-mac')
    expect(
      attempt(src.replace('lastmodified: "2025-08-06T18:55:05Z"', 'lastmodified: "2025-08-06T18:55:06Z"')).code,
    ).toBe('bad-mac')
  })

  it('a value replaced by plaintext', () => {
    const e = attempt(src.replace(/user: ENC\[[^\]]+\]/, 'user: mallory'))
    expect(e.code).toBe('bad-value')
    expect(e.message).toMatch(/is not encrypted/)
  })
})

describe('what git-seal writes decrypts with sops-age and passes an independent MAC check', async () => {
  const age = await newAgeKey()
  const dataKey = newDataKey()
  const entries = [{ recipient: age.recipient, enc: await wrap(dataKey, age.recipient) }]
  const cases: [SopsStore, 'yaml' | 'json' | 'env', string, unknown][] = [
    [
      'yaml',
      'yaml',
      '# Kubernetes secret\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db # inline\nstringData:\n  password: "p@ss: word"\n  port: 5432\n  ratio: 0.25\n  debug: false\n  empty: ""\n  hosts:\n    - a.example\n    - \'b.example\'\n  cert: |\n    -----BEGIN-----\n    abc\n',
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'db' },
        stringData: {
          password: 'p@ss: word',
          port: 5432,
          ratio: 0.25,
          debug: false,
          empty: '',
          hosts: ['a.example', 'b.example'],
          cert: '-----BEGIN-----\nabc\n',
        },
      },
    ],
    [
      'json',
      'json',
      '{\n  "type": "service_account",\n  "n": 12,\n  "f": 1.5,\n  "ok": true,\n  "nested": {"list": ["x", "y"], "none": null}\n}\n',
      { type: 'service_account', n: 12, f: 1.5, ok: true, nested: { list: ['x', 'y'], none: null } },
    ],
    [
      'dotenv',
      'env',
      '# database\nDB_USER=admin\nDB_PASS=s3cr3t=x\n\nAPI_KEY=abc\\ndef\n',
      { DB_USER: 'admin', DB_PASS: 's3cr3t=x', API_KEY: 'abc\ndef' },
    ],
  ]

  it.each(cases)('%s', async (store, fileType, plain, expected) => {
    const enc = encryptSops(bytes(plain), store, { dataKey, age: entries, rules: {} })
    expect(await sopsAge(text(enc), { secretKey: age.identity, fileType })).toEqual(expected)
    const leaves = independentCheck(text(enc), store as 'yaml' | 'json' | 'dotenv', dataKey)
    expect(leaves.length).toBeGreaterThan(2)
    expect(text(decryptSops(enc, store, dataKey))).toBe(plain)
  })

  it('binary', async () => {
    const plain = 'line one\nline two\n\u00e9\n'
    const enc = encryptSops(bytes(plain), 'binary', { dataKey, age: entries, rules: {} })
    expect(text(enc)).toMatch(/^\{\n\t"data": "ENC\[AES256_GCM,[^"]+type:str\]",\n\t"sops": \{\n\t\t"age": \[/)
    expect(await sopsAge(text(enc), { secretKey: age.identity, fileType: 'json' })).toEqual({ data: plain })
    expect(independentCheck(text(enc), 'json', dataKey)).toEqual([{ path: 'data', type: 'str', plaintext: plain }])
    expect(text(decryptSops(enc, 'binary', dataKey))).toBe(plain)
  })

  it('every type encrypts with canonical plaintext (sops re-renders before hashing)', () => {
    const enc = encryptSops(
      bytes('a: 0x1F\nb: 0755\nc: 1_000\nd: 1.0\ne: 1e3\nf: True\ng: .inf\nh: -0.5\ni: 1e21\n'),
      'yaml',
      { dataKey, age: entries, rules: {} },
    )
    const leaves = independentCheck(text(enc), 'yaml', dataKey)
    expect(leaves.map((l) => `${l.type}:${l.plaintext}`)).toEqual([
      'int:31',
      'int:493',
      'int:1000',
      'float:1',
      'float:1000',
      'bool:True',
      'float:+Inf',
      'float:-0.5',
      'float:1000000000000000000000',
    ])
  })
})
