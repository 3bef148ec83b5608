/**
 * Agreement with sops 3.13 (issue 13), item by item: what git-seal writes reads in sops the way
 * it reads here (checked with the independent checker of helpers.ts, which computes the MAC as
 * sops does), and what sops writes reads here as `sops -d` prints it (fixtures written by sops
 * 3.13.2's own code, with the `sops -d` output next to each).
 */
import { describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { decryptSops, encryptSops, isCompleteSopsDocument, type SopsRules, type SopsStore } from '../../src/formats/sops/index.js'
import { bytes, expectRefusal, independentCheck, openEnc, sealEnc, text } from './helpers.js'

const dataKey = new Uint8Array(32).fill(13)
const age = [{ recipient: 'age1test', enc: '-----BEGIN AGE ENCRYPTED FILE-----\nAAAA\n-----END AGE ENCRYPTED FILE-----\n' }]
const enc = (store: SopsStore, plain: string, rules: SopsRules = {}): string => text(encryptSops(bytes(plain), store, { dataKey, age, rules }))
const dec = (store: SopsStore, src: string): string => text(decryptSops(bytes(src), store, dataKey))
const ENC_ANY = /ENC\[AES256_GCM,[^\]]*\]/g

describe('1. a JSON integer beyond int64 left unencrypted', () => {
  it('keeps its digits, and the MAC hashes the float sops reads', () => {
    const plain = '{"n_unencrypted": 12345678901234567890, "m": 12345678901234567890, "neg_unencrypted": -9223372036854775809}\n'
    const encrypted = enc('json', plain)
    expect(encrypted).toContain('"n_unencrypted": 12345678901234567890,')
    const leaves = independentCheck(encrypted, 'json', dataKey)
    expect(leaves.map((l) => l.plaintext)).toEqual(['12345678901234567000', '12345678901234567890', '-9223372036854776000'])
    expect(JSON.parse(dec('json', encrypted))).toEqual({ n_unencrypted: 12345678901234567890, m: '12345678901234567890', neg_unencrypted: -9223372036854775809 })
    expect(dec('json', encrypted)).toContain('"n_unencrypted": 12345678901234567890,')
  })

  it('a number sops cannot load at all (beyond float64) is written as a string', () => {
    const encrypted = enc('json', '{"a_unencrypted": 1e400, "b_unencrypted": 1' + '0'.repeat(400) + '}')
    expect(JSON.parse(encrypted.split(', "sops"')[0] + '}')).toEqual({ a_unencrypted: '1e400', b_unencrypted: '1' + '0'.repeat(400) })
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
    expect(independentCheck(encrypted, 'yaml', dataKey).map((l) => l.plaintext)).toEqual(['123456789012345690000000', '123456789012345678901234'])
    expect(dec('yaml', encrypted)).toBe("f_unencrypted: 123456789012345678901234\ne: '123456789012345678901234'\n")
  })

  it('a file holding a plaintext uint64, which sops cannot read, is refused', () => {
    const encrypted = enc('yaml', 'n_unencrypted: 1\n').replace('n_unencrypted: 1', 'n_unencrypted: 18446744073709551615')
    expectRefusal(() => dec('yaml', encrypted), 'unsupported', /line 1: a number sops cannot load/)
  })
})

describe('3. INI comment blocks are encrypted the way sops reads them', () => {
  const plain = '; first\n; second\n[s]\n# about k\n   ; indented\n\n# after blank\nk = v ; inline\nj = w\n'

  it('one ciphertext per block, on its first line, holding every line (as go-ini joins them)', () => {
    const encrypted = enc('ini', plain)
    const lines = encrypted.split('\n')
    expect(lines.slice(0, 9).map((l) => l.replace(ENC_ANY, 'ENC'))).toEqual(['; ENC', ';', '[s]', '# ENC', '   ;', '', '#', 'k = ENC ;', 'j = ENC'])
    expect(openEnc(lines[0]!.slice(2), dataKey, 's:')).toEqual({ type: 'comment', plaintext: 'first\n; second' })
    expect(openEnc(lines[3]!.slice(2), dataKey, 's:')).toEqual({ type: 'comment', plaintext: 'about k\n; indented\n# after blank\n; inline' })
    expect(independentCheck(encrypted, 'ini', dataKey).map((l) => `${l.path}=${l.plaintext}`)).toEqual(['s:k=v', 's:j=w'])
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
    const encrypted = enc('ini', '[s]\n; about k\nk = v\n').replace(/; ENC\[[^\]]*\]/, () => `; ${sealEnc('about k\n# more\n; note', 'comment', dataKey, 's:')}`)
    expect(dec('ini', encrypted)).toBe('[s]\n; about k\n# more\n; note\nk = v\n')
  })
})

describe('4. a YAML lone surrogate escape', () => {
  it.each(['a: "\\uD800"\n', 'a_unencrypted: "x\\uDC00"\n', '"\\uD800": x\n'])('%s is refused, as sops cannot parse it', (plain) => {
    expectRefusal(() => enc('yaml', plain), 'unsupported', /half a UTF-16 surrogate pair/)
  })

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

  it.each(['3.13', '3.013.2', 'abc', '3.13.2-', '3.13.2+', '3.13.2-a..b', '18446744073709551616.0.0', '3.x.1', '', 'V3.1.0'])('%j is refused, as sops refuses it', (version) => {
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

