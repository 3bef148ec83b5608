/**
 * Tampered sops documents (issue 13 item 11): the independent checker (helpers.ts, sops's MAC
 * and value rules written without src/, comments included) and this module's readers agree on
 * every one. `verifySopsDocument` (the proof the clean filter relies on) rejects exactly what the
 * checker rejects; `decryptSops` rejects the same except a plaintext comment, which sops itself
 * reads (warning that it may predate encrypted comments); `isCompleteSopsDocument`, which does
 * not decrypt (the guard's and verify's judgement without a key), is false exactly for a
 * plaintext value or comment: a comment sops would encrypt, in plaintext, is as readable.
 */
import { describe, expect, it } from 'vitest'
import {
  decryptSops,
  encryptSops,
  isCompleteSopsDocument,
  verifySopsDocument,
  type SopsStore,
} from '../../src/formats/sops/index.js'
import { bytes, independentCheck, newAgeKey, newDataKey, sealEnc, text, wrap } from './helpers.js'

const dataKey = newDataKey()
const ageKey = await newAgeKey()
const other = await newAgeKey()
const age = [{ recipient: ageKey.recipient, enc: await wrap(dataKey, ageKey.recipient) }]

const documents: Record<'yaml' | 'json' | 'dotenv' | 'ini', string> = {
  yaml: '# database\ndb:\n  user: admin # the owner\n  password: hunter2\nport: 5432\n',
  json: '{\n  "db": {"user": "admin", "password": "hunter2"},\n  "port": 5432\n}\n',
  dotenv: '# database\nDB_USER=admin\nDB_PASSWORD=hunter2\nPORT=5432\n',
  ini: '; database\n[db]\nuser = admin\npassword = hunter2\nport = 5432\n',
}
type Store = keyof typeof documents

const ENC = /ENC\[AES256_GCM,[^\]]*type:(?:str|int)\]/g
const flip = (enc: string, field: 'data' | 'tag'): string =>
  enc.replace(new RegExp(`(${field}:)(.)`), (_, p: string, c: string) => p + (c === 'A' ? 'B' : 'A'))

/** Each tampering, and whether it leaves a document sops would take as written with its data key. */
const tamperings: {
  name: string
  apply: (src: string, store: Store) => string | null
  valid: boolean
  plaintextValue?: boolean
  commentOnly?: boolean
}[] = [
  { name: 'nothing changed', apply: (s) => s, valid: true },
  {
    name: 'two values swapped',
    apply: (s) => {
      const [a, b] = s.match(ENC)!
      return s.replace(a!, '@A@').replace(b!, a!).replace('@A@', b!)
    },
    valid: false,
  },
  {
    name: "a value's ciphertext altered",
    apply: (s) => s.replace(s.match(ENC)![1]!, (e) => flip(e, 'data')),
    valid: false,
  },
  { name: "a value's tag altered", apply: (s) => s.replace(s.match(ENC)![0]!, (e) => flip(e, 'tag')), valid: false },
  {
    name: 'the MAC changed',
    apply: (s) =>
      s.replace(
        /(mac"?\s*[:=]\s*"?ENC\[AES256_GCM,data:)(.)/,
        (_, p: string, c: string) => p + (c === 'A' ? 'B' : 'A'),
      ),
    valid: false,
  },
  {
    name: 'lastmodified changed',
    apply: (s) =>
      s.replace(
        /(lastmodified"?\s*[:=]\s*"?\d{4}-\d\d-\d\dT\d\d:\d\d:)(\d\d)/,
        (_, p: string, sec: string) => p + (sec === '00' ? '01' : '00'),
      ),
    valid: false,
  },
  {
    name: 'a value removed',
    apply: (s, store) => s.replace(store === 'json' ? /,\s*"port": "ENC\[[^\]]*\]"/ : /^(port|PORT)\s*[:=].*\n/m, ''),
    valid: false,
  },
  {
    name: 'a plaintext value inserted',
    apply: (s, store) =>
      ({
        yaml: s.replace('port:', 'extra: s3cr3t\nport:'),
        json: s.replace('"port":', '"extra": "s3cr3t", "port":'),
        dotenv: s.replace('PORT=', 'EXTRA=s3cr3t\nPORT='),
        ini: s.replace('port =', 'extra = s3cr3t\nport ='),
      })[store],
    valid: false,
    plaintextValue: true,
  },
  {
    name: 'a plaintext comment inserted',
    apply: (s, store) =>
      store === 'json' ? null : s.replace(/^(port|PORT)/m, `${store === 'ini' ? ';' : '#'} s3cr3t\n$1`),
    valid: false,
    commentOnly: true,
  },
  {
    name: 'an encrypted comment replaced by one sealed with another key',
    apply: (s, store) =>
      store === 'json'
        ? null
        : s.replace(/ENC\[AES256_GCM,[^\]]*type:comment\]/, sealEnc('s3cr3t', 'comment', newDataKey(), ':')),
    valid: false,
    commentOnly: true,
  },
  {
    name: 'the version made one sops refuses',
    apply: (s) => s.replace(/(version"?\s*[:=]\s*"?)3\.13\.2/, '$1three'),
    valid: false,
  },
  {
    name: 'the recipients changed (outside the MAC, in sops too)',
    apply: (s) => s.replaceAll(ageKey.recipient, other.recipient),
    valid: true,
  },
]

describe('11. tampered documents: the independent checker and git-seal agree', () => {
  for (const store of Object.keys(documents) as Store[]) {
    const original = text(encryptSops(bytes(documents[store]), store as SopsStore, { dataKey, age, rules: {} }))
    it.each(tamperings.map((t) => [t.name, t] as const))(`${store}: %s`, (_, t) => {
      const changed = t.apply(original, store)
      if (changed === null) return // no comments in JSON
      if (t.name !== 'nothing changed') expect(changed).not.toBe(original)
      const verdict = (run: () => unknown): boolean => {
        try {
          run()
          return true
        } catch {
          return false
        }
      }
      const checker = verdict(() => independentCheck(changed, store, dataKey, { comments: true }))
      const verified = verdict(() => verifySopsDocument(bytes(changed), store as SopsStore, dataKey))
      const decrypted = verdict(() => decryptSops(bytes(changed), store as SopsStore, dataKey))
      expect({ checker, verified }).toEqual({ checker: t.valid, verified: t.valid })
      expect(decrypted).toBe(t.valid || t.commentOnly === true)
      expect(isCompleteSopsDocument(bytes(changed), store as SopsStore)).toBe(
        t.plaintextValue !== true && t.name !== 'a plaintext comment inserted' && !t.name.startsWith('the version'),
      )
    })
  }
})
