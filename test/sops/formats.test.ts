/**
 * The JSON, dotenv, INI and binary stores: byte-exact round trips, documented normalisations,
 * the metadata each writes, and what each refuses.
 */
import { describe, expect, it } from 'vitest'
import {
  decryptSops,
  encryptSops,
  isCompleteSopsDocument,
  readSopsMetadata,
  type SopsStore,
} from '../../src/formats/sops/index.js'
import { bytes, expectRefusal, independentCheck, openEnc, text } from './helpers.js'

const dataKey = new Uint8Array(32).fill(9)
const age = [
  { recipient: 'age1test', enc: '-----BEGIN AGE ENCRYPTED FILE-----\nAAAA\n-----END AGE ENCRYPTED FILE-----\n' },
]
const now = new Date('2025-01-02T03:04:05Z')
const enc = (store: SopsStore, plain: string | Uint8Array): string =>
  text(encryptSops(typeof plain === 'string' ? bytes(plain) : plain, store, { dataKey, age, rules: {}, now }))
const dec = (store: SopsStore, src: string): string => text(decryptSops(bytes(src), store, dataKey))
const masked = (s: string): string => s.replace(/ENC\[AES256_GCM,[^\]]*type:(\w+)\]/g, 'ENC[$1]')

const refused = (store: SopsStore, plain: string, code: string, message: RegExp): void =>
  expectRefusal(() => enc(store, plain), code, message)

describe('JSON', () => {
  it.each([
    [
      '2-space service account',
      '{\n  "type": "service_account",\n  "project_id": "p",\n  "private_key": "-----BEGIN KEY-----\\nabc\\n-----END KEY-----\\n",\n  "port": 443,\n  "ratio": 0.5,\n  "ok": true,\n  "none": null,\n  "empty": "",\n  "list": [1, "two", {"k": []}],\n  "obj": {}\n}\n',
    ],
    ['tabs (sops style)', '{\n\t"a": {\n\t\t"b": "c"\n\t}\n}\n'],
    ['one line, no final newline', '{"a":"x","b":[1,2]}'],
    ['CRLF', '{\r\n  "a": "b"\r\n}\r\n'],
    ['empty object', '{}\n'],
    ['empty object with a space', '{ }'],
    ['unicode and escapes JSON needs', '{"k": "caf\u00e9 ✓ \\"q\\" \\\\ \\n \\t \\u0001"}\n'],
    ['keys with special characters', '{"a:b": "x", "": "y", "sops_x": "z", "ü": "w"}\n'],
  ])('%s round trips byte for byte', (_, plain) => {
    const encrypted = enc('json', plain)
    expect(isCompleteSopsDocument(bytes(encrypted), 'json')).toBe(true)
    expect(dec('json', encrypted)).toBe(plain)
  })

  it('writes the metadata last, sorted as sops 3.13, indented like the file', () => {
    expect(masked(enc('json', '{\n  "a": "x",\n  "n": null\n}\n'))).toBe(
      '{\n  "a": "ENC[str]",\n  "n": null,\n  "sops": {\n    "age": [\n      {\n        "enc": "-----BEGIN AGE ENCRYPTED FILE-----\\nAAAA\\n-----END AGE ENCRYPTED FILE-----\\n",\n        "recipient": "age1test"\n      }\n    ],\n    "lastmodified": "2025-01-02T03:04:05Z",\n    "mac": "ENC[str]",\n    "unencrypted_suffix": "_unencrypted",\n    "version": "3.13.2"\n  }\n}\n',
    )
  })

  it.each([
    ['escapes JSON does not need', '{"a": "caf\\u00e9 \\/"}', '{"a": "café /"}'],
    [
      'exponent and non-canonical numbers (floats printed as sops -d prints them)',
      '{"a": 1e3, "b": 1.50, "c": -0, "d": 1.0, "e": 1e-7, "f": 2e21}',
      '{"a": 1000, "b": 1.5, "c": 0, "d": 1, "e": 1e-7, "f": 2e+21}',
    ],
    ['integers beyond int64 become strings', '{"a": 12345678901234567890}', '{"a": "12345678901234567890"}'],
  ])('normalises %s once', (_, plain, normalised) => {
    const once = dec('json', enc('json', plain))
    expect(once).toBe(normalised)
    expect(dec('json', enc('json', once))).toBe(once)
  })

  it('types numbers as sops 3.13 does', () => {
    const leaves = independentCheck(
      enc('json', '{"i": 42, "f": 1.0, "e": 2.5e-3, "b": false, "s": "42"}'),
      'json',
      dataKey,
    )
    expect(leaves.map((l) => `${l.type}:${l.plaintext}`)).toEqual([
      'int:42',
      'float:1',
      'float:0.0025',
      'bool:False',
      'str:42',
    ])
  })

  it.each([
    ['a top-level array', '["s3cr3t"]', 'unsupported', /top level/],
    ['a top-level string', '"s3cr3t"', 'unsupported', /top level/],
    ['an empty file', '', 'parse', /line 1, column 1/],
    ['a syntax error', '{\n  "a": "s3cr3t",\n}', 'parse', /JSON syntax error at line 3, column 1/],
    ['trailing text', '{"a": "s3cr3t"} x', 'parse', /after the document/],
    ['the reserved sops key', '{"sops": "s3cr3t"}', 'unsupported', /reserved/],
  ])('refuses %s', (_, plain, code, message) => refused('json', plain, code, message))
})

describe('dotenv', () => {
  it.each([
    [
      'docker-compose env',
      '# database\nPOSTGRES_USER=app\nPOSTGRES_PASSWORD=s3cr3t\n\n# api\nAPI_URL=https://x.example/a?b=c&d=e\n',
    ],
    [
      'export, quotes, = and literal \\n in values',
      'export TOKEN=abc\nQUOTED="a b"\nSINGLE=\'x\'\nEQ=a=b=c\nNL=line1\\nline2\nEMPTY=\nSPACE = padded \n',
    ],
    ['blank lines and comments without space', '#c1\n\n\n#\nA=1\n'],
    ['missing final newline', 'A=1\nB=2'],
    ['CRLF (the CR is part of the value, as sops reads it)', 'A=1\r\nB=2\r\n'],
    ['empty file', ''],
    ['unicode', 'KEY=秘密 🔑\n'],
  ])('%s round trips byte for byte', (_, plain) => {
    const encrypted = enc('dotenv', plain)
    expect(isCompleteSopsDocument(bytes(encrypted), 'dotenv')).toBe(true)
    expect(dec('dotenv', encrypted)).toBe(plain)
  })

  it('keys are everything before the first =, values are not trimmed or unquoted', () => {
    const encrypted = enc('dotenv', 'export A="x y" \n')
    const [leaf] = independentCheck(encrypted, 'dotenv', dataKey)
    expect(leaf).toEqual({ path: 'export A', type: 'str', plaintext: '"x y" ' })
  })

  it('the two characters \\n become a newline before encryption, as sops does', () => {
    expect(independentCheck(enc('dotenv', 'A=a\\nb\n'), 'dotenv', dataKey)[0]!.plaintext).toBe('a\nb')
  })

  it('comments are encrypted with top-level additional data', () => {
    const encrypted = enc('dotenv', '# note\nA=1\n')
    const comment = /^#(ENC\[[^\n]+)$/m.exec(encrypted)![1]!
    expect(openEnc(comment, dataKey, ':')).toEqual({ type: 'comment', plaintext: ' note' })
  })

  it('writes the metadata as sorted sops_ lines after the data', () => {
    expect(masked(enc('dotenv', 'A=1\n'))).toBe(
      'A=ENC[str]\nsops_age__list_0__map_enc=-----BEGIN AGE ENCRYPTED FILE-----\\nAAAA\\n-----END AGE ENCRYPTED FILE-----\\n\nsops_age__list_0__map_recipient=age1test\nsops_lastmodified=2025-01-02T03:04:05Z\nsops_mac=ENC[str]\nsops_unencrypted_suffix=_unencrypted\nsops_version=3.13.2\n',
    )
  })

  it.each([
    ['a line without =', 'A=1\ns3cr3t\n', 'parse', /^line 2: not KEY=VALUE/],
    ['a whitespace-only line', 'A=1\n  \n', 'parse', /^line 2:/],
    ['a sops_ key', 'sops_x=s3cr3t\n', 'unsupported', /sops_ are reserved/],
  ])('refuses %s', (_, plain, code, message) => refused('dotenv', plain, code, message))
})

describe('INI', () => {
  it.each([
    [
      'sections, DEFAULT keys, comments',
      '; top comment\nglobal = g\n\n[database]\nuser = admin\npassword = s3cr3t ; inline\n# hash comment\nhost: db.local\n\n[other section]\nx=1\n',
    ],
    ['quoted values', '[s]\na = "double quoted"\nb = \'single\'\nc = `back tick`\nd = """multi\nline\nvalue"""\n'],
    ['go-ini comments inside values', '[s]\nd = x#y\ne = a;b ; c\n'],
    ['empty values and odd spacing', '[s]\na =\n  b   =   spaced   \n'],
    ['CRLF', 'x = 1\r\n[s]\r\ny = 2\r\n'],
    ['missing final newline', '[a]\nb=c'],
    ['empty file', ''],
    ['keys with special characters', '[s]\n"quoted key" = v\nkey.with.dots = v\n'],
  ])('%s round trips byte for byte', (_, plain) => {
    const encrypted = enc('ini', plain)
    expect(isCompleteSopsDocument(bytes(encrypted), 'ini')).toBe(true)
    expect(dec('ini', encrypted)).toBe(plain)
  })

  it('reads values as go-ini does: trimmed, unquoted, # or ; starts a comment', () => {
    const encrypted = enc('ini', 'k0 = top\n[s]\na = "x y"\nb = p#q\nc =  spaced  \n')
    expect(masked(encrypted)).toMatch(
      /^k0 = ENC\[str\]\n\[s\]\na = "ENC\[str\]"\nb = ENC\[str\]#ENC\[comment\]\nc = {2}ENC\[str\] {2}\n\n\[sops\]\n/,
    )
    const values = [...encrypted.matchAll(/^(k0|a|b|c) =\s+"?(ENC\[[^\]]+type:str\])/gm)].map((m) => [
      m[1],
      openEnc(m[2]!, dataKey, m[1] === 'k0' ? 'DEFAULT:k0:' : `s:${m[1]}:`).plaintext,
    ])
    expect(values).toEqual([
      ['k0', 'top'],
      ['a', 'x y'],
      ['b', 'p'],
      ['c', 'spaced'],
    ])
  })

  it('values under an _unencrypted key or section stay in plaintext', () => {
    const encrypted = enc('ini', '[s]\nname_unencrypted = hello\n[public_unencrypted]\nk = v\n')
    expect(encrypted).toMatch(/^\[s\]\nname_unencrypted = hello\n\[public_unencrypted\]\nk = v\n\n\[sops\]/)
  })

  it('comments are encrypted line by line with their section as additional data', () => {
    const encrypted = enc('ini', '; about s\n[s]\n# about k\nk = v\n')
    const comments = [...encrypted.matchAll(/^[;#] (ENC\[[^\n]+)$/gm)].map(
      (m) => openEnc(m[1]!, dataKey, 's:').plaintext,
    )
    expect(comments).toEqual(['about s', 'about k'])
  })

  it.each([
    ['a line that is not key = value', '[s]\ns3cr3t\n', 'parse', /^line 2: not "key = value"/],
    ['an unclosed section', '[s3cr3t\n', 'parse', /^line 1: unclosed section/],
    ['a repeated key', '[s]\na = s3cr3t\na = x\n', 'unsupported', /^line 3: key repeated in section \[s\]/],
    ['a line continuation', '[s]\na = s3cr3t\\\n', 'unsupported', /backslash/],
    ['a [sops] section', '[sops]\na = s3cr3t\n', 'unsupported', /reserved/],
    ['an unclosed """ value', '[s]\na = """s3cr3t\n', 'parse', /never closed/],
  ])('refuses %s', (_, plain, code, message) => refused('ini', plain, code, message))
})

describe('binary', () => {
  it.each([
    ['text', bytes('hello\nworld\n')],
    ['bytes that are not UTF-8', new Uint8Array([0, 255, 254, 10, 128, 1])],
    ['an empty file', new Uint8Array()],
  ])('%s round trips byte for byte', (_, plain) => {
    const encrypted = enc('binary', plain)
    expect(isCompleteSopsDocument(bytes(encrypted), 'binary')).toBe(true)
    expect(Buffer.from(decryptSops(bytes(encrypted), 'binary', dataKey)).equals(Buffer.from(plain))).toBe(true)
  })

  it('is laid out as sops writes it, with no encryption rule', () => {
    expect(masked(enc('binary', 'x'))).toBe(
      '{\n\t"data": "ENC[str]",\n\t"sops": {\n\t\t"age": [\n\t\t\t{\n\t\t\t\t"enc": "-----BEGIN AGE ENCRYPTED FILE-----\\nAAAA\\n-----END AGE ENCRYPTED FILE-----\\n",\n\t\t\t\t"recipient": "age1test"\n\t\t\t}\n\t\t],\n\t\t"lastmodified": "2025-01-02T03:04:05Z",\n\t\t"mac": "ENC[str]",\n\t\t"version": "3.13.2"\n\t}\n}\n',
    )
  })

  it('a binary file that is not a sops envelope has no metadata', () => {
    expect(readSopsMetadata(new Uint8Array([1, 2, 3]), 'binary')).toBeNull()
    expect(isCompleteSopsDocument(bytes('{"data": "x"}'), 'binary')).toBe(false)
  })
})
