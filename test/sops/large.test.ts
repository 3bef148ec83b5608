/**
 * Documents whose stored form is several MiB (issue 13 item 6; git-seal's own documents too):
 * written here, they pass the independent checker (sops's MAC, every value decrypting under its
 * key path), prove to be ciphertext, and decrypt back byte for byte.
 */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  decryptSops,
  encryptSops,
  isCompleteSopsDocument,
  verifySopsDocument,
  type SopsStore,
} from '../../src/formats/sops/index.js'
import { bytes, independentCheck, newDataKey, text } from './helpers.js'

const dataKey = newDataKey()
const age = [
  { recipient: 'age1test', enc: '-----BEGIN AGE ENCRYPTED FILE-----\nAAAA\n-----END AGE ENCRYPTED FILE-----\n' },
]
const MiB = 1024 * 1024
const KEYS = 12_000
/** a value of 240 printable characters that needs no quoting in any store */
const value = (): string => randomBytes(180).toString('base64').replace(/[+/=]/g, 'x')

const values = Array.from({ length: KEYS }, value)
const documents: [SopsStore, string][] = [
  ['yaml', values.map((v, i) => `key${i}: ${v}\n`).join('')],
  ['json', `{\n${values.map((v, i) => `  "key${i}": "${v}"`).join(',\n')}\n}\n`],
  ['dotenv', values.map((v, i) => `KEY${i}=${v}\n`).join('')],
  ['ini', `[big]\n${values.map((v, i) => `key${i} = ${v}\n`).join('')}`],
]

describe('6. documents of several MiB', () => {
  it.each(documents)(
    '%s',
    (store, plain) => {
      const encrypted = encryptSops(bytes(plain), store, { dataKey, age, rules: {} })
      expect(encrypted.length).toBeGreaterThan(4 * MiB)
      const leaves = independentCheck(text(encrypted), store as 'yaml', dataKey)
      expect(leaves).toHaveLength(KEYS)
      expect(leaves.map((l) => l.plaintext)).toEqual(values)
      expect(isCompleteSopsDocument(encrypted, store)).toBe(true)
      expect(text(decryptSops(encrypted, store, dataKey))).toBe(plain)
      expect(text(verifySopsDocument(encrypted, store, dataKey))).toBe(plain)
    },
    120_000,
  )
})
