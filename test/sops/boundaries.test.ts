/**
 * Boundary tables across the stores: empty files and mappings, empty strings, values with `:`
 * and `#`, keys with special characters, and `_unencrypted` values with and without
 * `mac_only_encrypted`.
 */
import { describe, expect, it } from 'vitest'
import {
  decryptSops,
  encryptSops,
  isCompleteSopsDocument,
  type SopsRules,
  type SopsStore,
} from '../../src/formats/sops/index.js'
import { bytes, text } from './helpers.js'

const dataKey = new Uint8Array(32).fill(5)
const age = [
  { recipient: 'age1test', enc: '-----BEGIN AGE ENCRYPTED FILE-----\nAAAA\n-----END AGE ENCRYPTED FILE-----\n' },
]
const enc = (store: SopsStore, plain: string, rules: SopsRules = {}): string =>
  text(encryptSops(bytes(plain), store, { dataKey, age, rules }))
const dec = (store: SopsStore, src: string): string => text(decryptSops(bytes(src), store, dataKey))
const data = (store: SopsStore, encrypted: string): string =>
  encrypted.split(
    store === 'yaml' ? /^sops:/m : store === 'json' ? /"sops":/ : store === 'ini' ? /^\[sops\]/m : /^sops_/m,
  )[0]!

const table: [string, SopsStore, string][] = [
  ['empty file', 'yaml', ''],
  ['empty file', 'dotenv', ''],
  ['empty file', 'ini', ''],
  ['empty file', 'binary', ''],
  ['empty mapping', 'yaml', '{}\n'],
  ['empty mapping', 'json', '{}'],
  ['empty nested mapping and list', 'yaml', 'a: {}\nb: []\n'],
  ['empty nested mapping and list', 'json', '{"a": {}, "b": []}\n'],
  ['empty section', 'ini', '[empty]\n'],
  ['empty strings', 'yaml', 'a: ""\nb: \'\'\n'],
  ['empty strings', 'json', '{"a": ""}\n'],
  ['empty strings', 'dotenv', 'A=\n'],
  ['empty strings', 'ini', '[s]\na =\nb = ""\n'],
  ["values with ':' and '#'", 'yaml', 'a: "x: y # z"\nb: c:d#e\n'],
  ["values with ':' and '#'", 'json', '{"a": "x: y # z"}\n'],
  ["values with ':' and '#'", 'dotenv', 'A=x: y # z\n'],
  ["values with ':' and '#'", 'ini', '[s]\na = `x: y # z`\nb = c:d\n'],
  ['keys with special characters', 'yaml', '"a b": 1\n"a:b": 2\n"#c": 3\n"ü": 4\n"": 5\n'],
  ['keys with special characters', 'json', '{"a b": 1, "a:b": 2, "#c": 3, "ü": 4, "": 5}\n'],
  ['keys with special characters', 'dotenv', 'a b=1\na:b=2\nü=3\n'],
  ['keys with special characters', 'ini', '[a b]\nc.d = 1\n"e f" = 2\n'],
]

describe('boundaries', () => {
  it.each(table)('%s (%s) round trips byte for byte as a complete document', (_, store, plain) => {
    const encrypted = enc(store, plain)
    expect(isCompleteSopsDocument(bytes(encrypted), store)).toBe(true)
    expect(dec(store, encrypted)).toBe(plain)
  })

  it('empty strings are not encrypted, as sops leaves them', () => {
    expect(data('yaml', enc('yaml', 'a: ""\n'))).toBe('a: ""\n')
    expect(data('dotenv', enc('dotenv', 'A=\n'))).toBe('A=\n')
    expect(data('ini', enc('ini', '[s]\na =\n'))).toBe('[s]\na =\n\n')
  })

  it('an empty JSON file is refused (sops needs an object)', () => {
    expect(() => enc('json', '')).toThrow(expect.objectContaining({ code: 'parse' }))
  })
})

describe('values under an _unencrypted key', () => {
  const cases: [SopsStore, string, string, string][] = [
    ['yaml', 'a: x\nb_unencrypted: plain\n', 'b_unencrypted: plain', 'b_unencrypted: changed'],
    ['json', '{"a": "x", "b_unencrypted": "plain"}\n', '"b_unencrypted": "plain"', '"b_unencrypted": "changed"'],
    ['dotenv', 'A=x\nB_unencrypted=plain\n', 'B_unencrypted=plain', 'B_unencrypted=changed'],
    ['ini', '[s]\na = x\nb_unencrypted = plain\n', 'b_unencrypted = plain', 'b_unencrypted = changed'],
  ]

  it.each(cases)('%s: stay in plaintext and are in the MAC', (store, plain, kept, tampered) => {
    const encrypted = enc(store, plain)
    expect(encrypted).toContain(kept)
    expect(isCompleteSopsDocument(bytes(encrypted), store)).toBe(true)
    expect(() => dec(store, encrypted.replace(kept, tampered))).toThrow(expect.objectContaining({ code: 'bad-mac' }))
  })

  it.each(cases)('%s: with mac_only_encrypted they are not in the MAC', (store, plain, kept, tampered) => {
    const encrypted = enc(store, plain, { macOnlyEncrypted: true })
    expect(dec(store, encrypted.replace(kept, tampered))).toBe(plain.replace(kept, tampered))
  })
})
