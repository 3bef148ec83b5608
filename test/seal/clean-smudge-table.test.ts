// The clean/smudge table: input kind x key present x index blob state, in a real repository.
// Clean keeps input unchanged only when it is proven ciphertext: byte-identical to the index blob
// (or recorded by this clone), or authenticated with a key here (then re-encrypted to the rule's
// recipients unless it already is what the index holds). Anything else that looks like
// ciphertext is encrypted whole, as content, and recorded as wrapped.
import { describe, expect, it } from 'vitest'
import { decrypt, encrypt, parseIdentity, parseRecipient } from '../../src/age/index.js'
import { blobId } from '../../src/git/objects.js'
import { SealContext } from '../../src/seal/context.js'
import { cleanFile } from '../../src/seal/clean.js'
import { smudgeFile } from '../../src/seal/smudge.js'
import { Repo, isAgeFile, newHome, newKey, simpleConfig } from '../helpers/repo.js'

const PATH = 'app.secret'
const key = newKey()
const plaintext = Buffer.from('API_KEY=s3cr3t-value\n')
const otherPlaintext = Buffer.from('API_KEY=another\n')
const cipher = Buffer.from(encrypt(plaintext, [parseRecipient(key.recipient)]))
const damaged = Buffer.from(cipher)
damaged[damaged.length - 5]! ^= 0x40
const inputs = { plaintext, ciphertext: cipher, damaged, empty: Buffer.alloc(0) } as const
type InputKind = keyof typeof inputs
/** no entry; an encryption of the same plaintext; of other plaintext; the input's own bytes */
type IndexState = 'absent' | 'same' | 'changed' | 'identical'

async function* once(b: Uint8Array): AsyncGenerator<Uint8Array> {
  if (b.length) yield b
}

function setup(
  withKey: boolean,
  index: IndexState,
  input: InputKind,
): { repo: Repo; ctx: SealContext; indexBlob: Buffer | null } {
  const home = newHome()
  if (withKey) home.installKey(key)
  const repo = Repo.init(home)
  repo.write('.gitseal.yaml', simpleConfig(['*.secret'], [{ name: 'alice', key: key.recipient }]))
  let indexBlob: Buffer | null = null
  if (index === 'identical') {
    indexBlob = inputs[input]
    repo.stageRaw(PATH, indexBlob)
  } else if (index !== 'absent') {
    const same = input === 'empty' ? Buffer.alloc(0) : plaintext
    indexBlob = Buffer.from(encrypt(index === 'same' ? same : otherPlaintext, [parseRecipient(key.recipient)]))
    repo.stageRaw(PATH, indexBlob)
  }
  return { repo, ctx: SealContext.open(repo.dir, home.env), indexBlob }
}

const opens = (blob: Uint8Array): Buffer => Buffer.from(decrypt(blob, [parseIdentity(key.identity)]))

const cells: [InputKind, boolean, IndexState][] = []
for (const input of Object.keys(inputs) as InputKind[])
  for (const withKey of [true, false])
    for (const index of ['absent', 'same', 'changed', 'identical'] as IndexState[]) cells.push([input, withKey, index])

describe('clean', () => {
  it.each(cells)('input %s, key %s, index blob %s', async (input, withKey, index) => {
    const { ctx, indexBlob } = setup(withKey, index, input)
    try {
      const bytes = inputs[input]
      const out = Buffer.concat([...(await cleanFile(ctx, PATH, once(bytes)))])
      const wrapped = ctx.stored.records.isWrapped(blobId(out))
      if (input === 'empty') {
        // an empty secret is stored as the empty blob: nothing to hide, and git would see a
        // zero-size entry with a non-empty blob as modified forever
        expect(out.length).toBe(0)
      } else if (index === 'identical' && input !== 'plaintext') {
        // proven by identity with the index blob: kept as it is, key or not
        expect(out.equals(bytes)).toBe(true)
        expect(wrapped).toBe(false)
      } else if (input === 'damaged' || (input === 'ciphertext' && !withKey)) {
        // looks like ciphertext, not proven: encrypted whole as content and recorded as wrapped
        expect(isAgeFile(out)).toBe(true)
        expect(out.equals(bytes)).toBe(false)
        expect(opens(out).equals(bytes)).toBe(true)
        expect(wrapped).toBe(true)
      } else if (withKey && index === 'same') {
        // unchanged plaintext (given, or authenticated ciphertext's) keeps its blob
        expect(out.equals(indexBlob!)).toBe(true)
      } else {
        // fresh ciphertext of the plaintext for the configured recipient
        expect(isAgeFile(out)).toBe(true)
        expect(out.equals(bytes)).toBe(false)
        if (indexBlob) expect(out.equals(indexBlob)).toBe(false)
        expect(opens(out).equals(plaintext)).toBe(true)
        expect(wrapped).toBe(false)
      }
    } finally {
      ctx.close()
    }
  })
})

describe('smudge', () => {
  it.each(cells)('input %s, key %s, index blob %s', async (input, withKey, index) => {
    const { ctx } = setup(withKey, index, input)
    try {
      const bytes = inputs[input]
      const out = Buffer.concat([...(await smudgeFile(ctx, PATH, once(bytes)))])
      const kept = ctx.report.kept.map((k) => `${k.path}: ${k.why}`)
      if (input === 'ciphertext' && withKey) {
        expect(out.equals(plaintext)).toBe(true)
        expect(kept).toEqual([])
        return
      }
      expect(out.equals(bytes)).toBe(true)
      if (input === 'empty') {
        // the empty blob of an empty secret: nothing to report
        expect(kept).toEqual([])
        return
      }
      // everything else is written as stored and named once
      expect(kept).toHaveLength(1)
      const expected =
        input === 'plaintext'
          ? 'stored in git without encryption'
          : !withKey
            ? 'no age identity found'
            : 'damaged ciphertext'
      expect(kept[0]).toContain(`${PATH}: ${expected}`)
    } finally {
      ctx.close()
    }
  })
})

describe('clean fails closed', () => {
  it.each([
    ['no config', null, 'no .gitseal.yaml'],
    [
      'an unknown admin',
      simpleConfig(['*.secret'], [{ name: 'alice', key: key.recipient }]).replace(
        '      main:\n',
        '      main:\n        admins: [bob]\n',
      ),
      'bob',
    ],
    [
      'no rule for the path',
      simpleConfig(['other/*'], [{ name: 'alice', key: key.recipient }]),
      'no secret in .gitseal.yaml matches it',
    ],
  ])('with %s', async (_name, config, message) => {
    const home = newHome()
    const repo = Repo.init(home)
    if (config) repo.write('.gitseal.yaml', config)
    const ctx = SealContext.open(repo.dir, home.env)
    try {
      await expect(cleanFile(ctx, PATH, once(plaintext))).rejects.toThrow(message)
    } finally {
      ctx.close()
    }
  })
})

describe('a wrong key', () => {
  it('smudge keeps the ciphertext and says no identity can decrypt it; clean still encrypts to the configured recipient', async () => {
    const home = newHome()
    home.installKey(newKey()) // someone else's key
    const repo = Repo.init(home)
    repo.write('.gitseal.yaml', simpleConfig(['*.secret'], [{ name: 'alice', key: key.recipient }]))
    const ctx = SealContext.open(repo.dir, home.env)
    try {
      const out = Buffer.concat([...(await smudgeFile(ctx, PATH, once(cipher)))])
      expect(out.equals(cipher)).toBe(true)
      expect(ctx.report.kept.map((k) => k.why)).toEqual(['not encrypted to you'])
      const cleaned = Buffer.concat([...(await cleanFile(ctx, PATH, once(plaintext)))])
      expect(opens(cleaned).equals(plaintext)).toBe(true)
    } finally {
      ctx.close()
    }
  })
})
