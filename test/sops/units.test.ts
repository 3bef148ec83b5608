/**
 * The pieces that must match sops (Go) exactly: canonical number, bool and time spellings,
 * the value cipher, the MAC's additional data, metadata flattening, RE2 patterns.
 */
import { describe, expect, it } from 'vitest'
import { isEncryptedValue, openValue, sealValue } from '../../src/formats/sops/cipher.js'
import { SopsError } from '../../src/formats/sops/errors.js'
import { formatLastModified, macAdditionalData, MacHasher } from '../../src/formats/sops/mac.js'
import {
  flattenMetadata,
  metadataFromTree,
  metadataToTree,
  unflattenMetadata,
} from '../../src/formats/sops/metadata.js'
import { compileRe2, shouldEncrypt } from '../../src/formats/sops/tree.js'
import { formatGoFloat, parseGoInteger, parseYamlTimestamp, typedFromPlaintext } from '../../src/formats/sops/values.js'
import { resolvePlain } from '../../src/formats/sops/yaml-scalar.js'

describe('Go number, bool and time spellings', () => {
  it.each([
    [0, '0'],
    [-0, '-0'],
    [1, '1'],
    [0.1, '0.1'],
    [3.14, '3.14'],
    [-2.5, '-2.5'],
    [1e21, '1000000000000000000000'],
    [1.5e-7, '0.00000015'],
    [1e-7, '0.0000001'],
    [123456789012345680000, '123456789012345680000'],
    [2 ** 53 + 2, '9007199254740994'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [NaN, 'NaN'],
  ])('FormatFloat(%d, f, -1) = %s', (v, s) => expect(formatGoFloat(v)).toBe(s))

  it('FormatFloat of the smallest denormal has no exponent', () => {
    expect(formatGoFloat(5e-324)).toMatch(/^0\.0{323}5$/)
  })

  it.each([
    ['0', 0n],
    ['42', 42n],
    ['+5', 5n],
    ['-7', -7n],
    ['0755', 493n],
    ['0x1F', 31n],
    ['0X1f', 31n],
    ['0o17', 15n],
    ['0b101', 5n],
    ['-0x10', -16n],
    ['08', null],
    ['0x', null],
    ['', null],
    ['1_000', null],
    ['1.0', null],
    ['--1', null],
  ])('ParseInt(%s, 0) = %s', (s, v) => expect(parseGoInteger(s)).toBe(v))

  it.each([
    ['2024-01-01', '2024-01-01T00:00:00Z'],
    ['2024-1-2', '2024-01-02T00:00:00Z'],
    ['2024-01-02 3:04:05.120', '2024-01-02T03:04:05.12Z'],
    ['2024-01-01T10:00:00+02:00', '2024-01-01T10:00:00+02:00'],
    ['2024-01-01t10:00:00.000000000001Z', '2024-01-01T10:00:00Z'],
    ['2024-01-01T10:00:00+00:00', '2024-01-01T10:00:00Z'],
    ['2023-02-30', null],
    ['2024-02-29', '2024-02-29T00:00:00Z'],
    ['2024-01-01T25:00:00Z', null],
    ['2024-01-01T10:00:00', null],
    ['20240101', null],
  ])('yaml.v3 timestamp %s', (s, v) => expect(parseYamlTimestamp(s)).toBe(v))

  it.each([
    ['int', '+5', 'int', '5'],
    ['float', '1.0', 'float', '1'],
    ['float', '1e3', 'float', '1000'],
    ['float', 'inf', 'float', '+Inf'],
    ['bool', 't', 'bool', 'True'],
    ['bool', 'FALSE', 'bool', 'False'],
    ['str', ' x ', 'str', ' x '],
    ['time', '2024-01-01T00:00:00.500Z', 'time', '2024-01-01T00:00:00.5Z'],
  ])('sops reads type:%s %j as %s %j', (type, plain, t, canonical) => {
    expect(typedFromPlaintext(type, plain, 'x')).toEqual({ type: t, text: canonical })
  })

  it.each([
    ['int', '1.5'],
    ['int', '9223372036854775808'],
    ['float', '1e400'],
    ['bool', 'yes'],
    ['time', '2024-01-01'],
    ['bytes', 'x'],
  ])('type:%s %j is a bad value', (type, plain) => {
    expect(() => typedFromPlaintext(type, plain, 'line 3')).toThrow(SopsError)
  })

  it.each([
    ['~', 'null'],
    ['Null', 'null'],
    ['', 'null'],
    ['TRUE', 'bool'],
    ['yes', 'str'],
    ['0o17', 'int'],
    ['-0b11', 'int'],
    ['18446744073709551615', 'uint'],
    ['.5', 'float'],
    ['+.inf', 'float'],
    ['1e', 'str'],
    ['2001-12-14t21:59:43.10-05:00', 'timestamp'],
    ['<<', 'str'],
    ['0x', 'str'],
  ])('yaml.v3 resolves %j as %s', (s, kind) => {
    const r = resolvePlain(s)
    expect(r.kind === 'typed' ? r.typed.type : r.kind).toBe(kind)
  })
})

describe('the value cipher', () => {
  const key = new Uint8Array(32).fill(1)
  it('AES-256-GCM with a 32-byte IV, sops text form, key path as additional data', () => {
    const v = sealValue('hello', 'str', key, 'a:b:')
    const m = /^ENC\[AES256_GCM,data:([^,]+),iv:([^,]+),tag:([^,]+),type:str\]$/.exec(v)!
    expect(Buffer.from(m[2]!, 'base64')).toHaveLength(32)
    expect(Buffer.from(m[3]!, 'base64')).toHaveLength(16)
    expect(openValue(v, key, 'a:b:', 'x').plaintext.toString()).toBe('hello')
    expect(() => openValue(v, key, 'a:c:', 'the value at x')).toThrow(/the value at x does not decrypt/)
  })

  it('the same IV, plaintext and path give the same ciphertext (what IV reuse relies on)', () => {
    const iv = new Uint8Array(32).fill(5)
    expect(sealValue('x', 'str', key, 'a:', iv)).toBe(sealValue('x', 'str', key, 'a:', iv))
  })

  it('recognises values as sops does (regex not anchored at the end)', () => {
    expect(isEncryptedValue('ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str]')).toBe(true)
    expect(isEncryptedValue('ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str]\n')).toBe(true)
    expect(isEncryptedValue('enc[AES256_GCM,...]')).toBe(false)
    expect(() => openValue('ENC[AES256_GCM,data:A,iv:AA==,tag:AA==,type:str]', key, ':', 'v')).toThrow(/malformed/)
  })
})

describe('MAC and metadata', () => {
  it('the MAC is upper-case hex of SHA-512; lastmodified is RFC 3339 UTC, re-formatted as additional data', () => {
    const h = new MacHasher(false)
    h.add('a')
    expect(h.hex()).toMatch(/^[0-9A-F]{128}$/)
    expect(formatLastModified(new Date('2025-03-04T05:06:07.890Z'))).toBe('2025-03-04T05:06:07Z')
    expect(macAdditionalData('2025-03-04T05:06:07.5+00:00')).toBe('2025-03-04T05:06:07Z')
    expect(macAdditionalData('2025-03-04T05:06:07+02:00')).toBe('2025-03-04T05:06:07+02:00')
    expect(() => macAdditionalData('yesterday')).toThrow(SopsError)
  })

  it('flattens as stores/flatten.go and back', () => {
    const tree = metadataToTree(
      {
        age: [
          { recipient: 'r1', enc: 'e1\n' },
          { recipient: 'r2', enc: 'e2' },
        ],
        lastmodified: 'L',
        mac: 'M',
        rules: { macOnlyEncrypted: true },
        otherKeys: { pgp: [{ fp: 'F', enc: 'P', created_at: 'C' }] },
      },
      false,
    )
    expect(Object.keys(tree)).toEqual([
      'age',
      'lastmodified',
      'mac',
      'mac_only_encrypted',
      'pgp',
      'unencrypted_suffix',
      'version',
    ])
    const flat = flattenMetadata(tree, 'sops_')
    expect(flat.map(([k]) => k)).toEqual([
      'sops_age__list_0__map_enc',
      'sops_age__list_0__map_recipient',
      'sops_age__list_1__map_enc',
      'sops_age__list_1__map_recipient',
      'sops_lastmodified',
      'sops_mac',
      'sops_mac_only_encrypted',
      'sops_pgp__list_0__map_created_at',
      'sops_pgp__list_0__map_enc',
      'sops_pgp__list_0__map_fp',
      'sops_unencrypted_suffix',
      'sops_version',
    ])
    const back = metadataFromTree(unflattenMetadata(flat.map(([k, v]) => [k.slice(5), v])))!
    expect(back.age).toEqual([
      { recipient: 'r1', enc: 'e1\n' },
      { recipient: 'r2', enc: 'e2' },
    ])
    expect(back.rules).toEqual({ unencryptedSuffix: '_unencrypted', macOnlyEncrypted: true })
    expect(back.otherKeys).toEqual({ pgp: [{ created_at: 'C', enc: 'P', fp: 'F' }] })
    expect(() =>
      unflattenMetadata([
        ['a', 'x'],
        ['a__map_b', 'y'],
      ]),
    ).toThrow(SopsError)
  })

  it('a tree without lastmodified or version is not sops metadata; empty key lists are dropped', () => {
    expect(metadataFromTree({ age: [] })).toBeNull()
    expect(metadataFromTree('x')).toBeNull()
    expect(
      metadataFromTree({ kms: null, pgp: [], lastmodified: 'L', version: '3.7.3', shamir_threshold: '2' })!.otherKeys,
    ).toEqual({ shamir_threshold: 2 })
  })
})

describe('RE2 patterns and the selection rules', () => {
  it.each([
    ['(?i)^data$', 'DATA', true],
    ['(?P<x>ab)c', 'abc', true],
    ['\\Apass\\z', 'pass', true],
    ['\\Apass\\z', 'password', false],
    ['^(data|stringData)$', 'stringData', true],
  ])('%s matches %s: %s', (re, s, m) => expect(compileRe2(re, 'r').test(s)).toBe(m))

  it('every path component is tested, as sops does', () => {
    expect(shouldEncrypt(['a_unencrypted', 'b'], { unencryptedSuffix: '_unencrypted', macOnlyEncrypted: false })).toBe(
      false,
    )
    expect(shouldEncrypt(['data', 'x'], { encryptedRegex: /^data$/, macOnlyEncrypted: false })).toBe(true)
    expect(shouldEncrypt([], { encryptedRegex: /^data$/, macOnlyEncrypted: false })).toBe(false)
  })
})
