/**
 * A corpus of realistic secret files (Kubernetes secrets, a sops-nix secrets file, docker-compose
 * and app .env files, a GCP service account, an INI file): byte-identical round trips, complete
 * sops documents that sops-age and the independent checker read, and one-value diffs.
 */
import { readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { decryptSops as sopsAge } from 'sops-age'
import { parse as parseYaml } from 'yaml'
import { decryptSops, encryptSops, isCompleteSopsDocument, storeForPath } from '../../src/formats/sops/index.js'
import {
  bytes,
  changedLines,
  FIXTURES,
  fixture,
  independentCheck,
  newAgeKey,
  newDataKey,
  text,
  wrap,
} from './helpers.js'

const files = readdirSync(FIXTURES + 'corpus').sort()

describe('realistic files', async () => {
  const ageKey = await newAgeKey()
  const dataKey = newDataKey()
  const age = [{ recipient: ageKey.recipient, enc: await wrap(dataKey, ageKey.recipient) }]
  const encrypt = (plain: string, store: ReturnType<typeof storeForPath> & string, previous?: string): string =>
    text(
      encryptSops(bytes(plain), store, {
        dataKey,
        age,
        rules: {},
        now: new Date(previous ? '2025-02-01T00:00:00Z' : '2025-01-01T00:00:00Z'),
        ...(previous ? { previous: { bytes: bytes(previous), dataKey } } : {}),
      }),
    )

  it('has the corpus', () => expect(files.length).toBeGreaterThanOrEqual(8))

  it.each(files)('%s round trips byte for byte as a complete sops document', async (name) => {
    const store = storeForPath(name) as 'yaml' | 'json' | 'dotenv' | 'ini'
    const plain = fixture(`corpus/${name}`).toString('utf8')
    const encrypted = encrypt(plain, store)
    expect(isCompleteSopsDocument(bytes(encrypted), store)).toBe(true)
    expect(text(decryptSops(bytes(encrypted), store, dataKey))).toBe(plain)
    if (store === 'ini') return
    independentCheck(encrypted, store, dataKey)
    const multiDoc = store === 'yaml' && /^---$/m.test(plain.replace(/^---\n/, ''))
    const exportLines = /^export /m.test(plain)
    // sops-age reads one YAML document, and takes `export` off dotenv keys (sops does not)
    if (multiDoc || exportLines) return
    const fileType = store === 'dotenv' ? ('env' as const) : store
    const expected =
      store === 'yaml'
        ? parseYaml(plain)
        : store === 'json'
          ? JSON.parse(plain)
          : Object.fromEntries(
              plain
                .split('\n')
                .filter((l) => l && !l.startsWith('#'))
                .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
            )
    expect(await sopsAge(encrypted, { secretKey: ageKey.identity, fileType })).toEqual(expected)
  })

  it.each([
    ['k8s-secret.yaml', 'DB_USER: payments', 'DB_USER: payments2'],
    ['sops-nix-secrets.yaml', 'my_secret: password1', 'my_secret: password2'],
    ['docker-compose.env', 'POSTGRES_DB=shop', 'POSTGRES_DB=shop2'],
    ['service-account.json', '"private_key_id": "1a2b', '"private_key_id": "9a2b'],
    ['database.ini', 'user = app', 'user = app2'],
  ])('%s: editing one value changes one line plus the MAC and lastmodified', (name, from, to) => {
    const store = storeForPath(name)!
    const plain = fixture(`corpus/${name}`).toString('utf8')
    const before = encrypt(plain, store)
    const after = encrypt(plain.replace(from, to), store, before)
    const changed = changedLines(before, after)
    expect(changed).toHaveLength(3)
    const line = plain.split('\n').findIndex((l) => l.includes(from)) + 1
    expect(changed[0]).toBe(line)
    expect(after.split('\n')[changed[1]! - 1]).toMatch(/lastmodified/)
    expect(after.split('\n')[changed[2]! - 1]).toMatch(/mac/)
  })

  it('a multi-document file carries the sops block in every document, read from the first', () => {
    const plain = fixture('corpus/k8s-manifests.yaml').toString('utf8')
    const encrypted = encrypt(plain, 'yaml')
    const docs = encrypted.split(/^---$/m).filter((d) => d.trim() !== '')
    expect(docs).toHaveLength(2)
    for (const d of docs) expect(d).toMatch(/\nsops:\n {2}age:\n/)
    expect(independentCheck(encrypted, 'yaml', dataKey).map((l) => l.path)).toEqual([
      'apiVersion',
      'kind',
      'metadata:name',
      'stringData:stripe',
      'stringData:sendgrid',
      'apiVersion',
      'kind',
      'metadata:name',
      'stringData:client_id',
      'stringData:client_secret',
    ])
  })
})
