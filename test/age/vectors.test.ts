// The C2SP age test vectors (CCTV, npm `cctv-age`): every vector, its expected outcome.
import { createHash } from 'node:crypto'
import { inflateSync } from 'node:zlib'
import * as cctv from 'cctv-age'
import { describe, expect, it } from 'vitest'
import { AgeError, decrypt, parseIdentity, scryptIdentity, type Identity } from '../../src/age/index.js'

interface Vector {
  name: string
  expect: string
  payload?: string
  identities: Identity[]
  armored: boolean
  body: Uint8Array
}

/** Post-quantum hybrid recipients (age1pq1, age 1.3) are not implemented yet: these vectors must fail closed. */
const UNSUPPORTED = /^(armor_)?hybrid/

function parse(name: string, bytes: Uint8Array): Vector {
  const buf = Buffer.from(bytes)
  const split = buf.indexOf('\n\n')
  const fields = buf.subarray(0, split).toString('utf8').split('\n')
  let body: Uint8Array = buf.subarray(split + 2)
  const v: Vector = { name, expect: '', identities: [], armored: false, body }
  for (const line of fields) {
    const [key, ...rest] = line.split(': ')
    const value = rest.join(': ')
    if (key === 'expect') v.expect = value
    else if (key === 'payload') v.payload = value
    else if (key === 'identity') v.identities.push(parseIdentityOrThrowLater(value))
    else if (key === 'passphrase') v.identities.push(scryptIdentity(value))
    else if (key === 'armored') v.armored = value === 'yes'
    else if (key === 'compressed' && value === 'zlib') body = inflateSync(body)
  }
  v.body = body
  return v
}

function parseIdentityOrThrowLater(text: string): Identity {
  try {
    return parseIdentity(text)
  } catch (e) {
    // An identity we cannot parse (a hybrid one) opens nothing; the vector then fails to match.
    return {
      unwrapFileKey: () => {
        throw e
      },
    }
  }
}

const vectors = Object.entries(cctv as unknown as Record<string, Uint8Array>)
  .filter(([, v]) => v instanceof Uint8Array)
  .map(([name, bytes]) => parse(name, bytes))

describe('CCTV age vectors', () => {
  it('has vectors', () => expect(vectors.length).toBeGreaterThan(100))

  it.each(vectors.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    let result: Uint8Array | null = null
    let error: unknown = null
    try {
      result = decrypt(v.body, v.identities)
    } catch (e) {
      error = e
    }
    if (UNSUPPORTED.test(v.name)) {
      // fail closed, never a wrong plaintext
      if (v.expect === 'success') expect(result).toBeNull()
      return
    }
    if (v.expect === 'success') {
      expect(error).toBeNull()
      expect(createHash('sha256').update(result!).digest('hex')).toBe(v.payload)
      return
    }
    expect(result, `${v.name} must fail (${v.expect})`).toBeNull()
    expect(error).toBeInstanceOf(AgeError)
    const code = (error as AgeError).code
    if (v.expect === 'no match') expect(code).toBe('no-identity')
    if (v.expect === 'payload failure') expect(['bad-payload', 'truncated']).toContain(code)
    if (v.expect === 'HMAC failure') expect(code).toBe('bad-mac')
    if (v.expect === 'header failure' || v.expect === 'armor failure')
      expect(['bad-header', 'truncated', 'bad-mac']).toContain(code)
  })
})
