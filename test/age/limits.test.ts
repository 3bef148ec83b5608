// Bounded work on hostile headers: a header with more stanzas than git-seal opens is refused
// before any key exchange, yet it is still recognised as an age file (never called plaintext).
import { describe, expect, it } from 'vitest'
import {
  AgeError,
  DecryptStream,
  MAX_STANZAS,
  decrypt,
  encrypt,
  generateIdentity,
  identityToRecipient,
  looksLikeAge,
  parseIdentity,
  parseRecipient,
} from '../../src/age/index.js'
import { hostileAgeFile as hostile } from '../helpers/age-files.js'

const mine = generateIdentity()
const identities = [parseIdentity(mine)]

const hostileAgeFile = (count: number): Buffer => hostile(count, mine)

function refusal(run: () => unknown): { error: AgeError; ms: number } {
  const start = performance.now()
  try {
    run()
  } catch (e) {
    return { error: e as AgeError, ms: performance.now() - start }
  }
  throw new Error('expected a refusal')
}

describe('stanza limit', () => {
  it('a header with 50,000 stanzas is refused quickly with a clear error, and is still an age file', () => {
    const file = hostileAgeFile(50_000)
    expect(looksLikeAge(file)).toBe(true)
    const { error, ms } = refusal(() => decrypt(file, identities))
    expect(error).toBeInstanceOf(AgeError)
    expect(error.code).toBe('unsupported')
    expect(error.message).toBe(
      `header has 50000 recipient stanzas, more than the ${MAX_STANZAS} git-seal opens or writes`,
    )
    expect(ms).toBeLessThan(1500) // trying them all takes over six seconds
  })

  it('streamed decryption refuses it too', () => {
    const file = hostileAgeFile(MAX_STANZAS * 4)
    const { error } = refusal(() => new DecryptStream(identities).update(file))
    expect(error.code).toBe('unsupported')
  })

  it(`${MAX_STANZAS} recipients are written and read; one more is refused at encryption`, () => {
    const others = Array.from({ length: MAX_STANZAS - 1 }, () =>
      parseRecipient(identityToRecipient(generateIdentity())),
    )
    const full = encrypt(Buffer.from('full house'), [...others, parseRecipient(identityToRecipient(mine))])
    expect(Buffer.from(decrypt(full, identities)).toString()).toBe('full house')
    const { error } = refusal(() =>
      encrypt(Buffer.from('x'), [
        ...others,
        parseRecipient(identityToRecipient(mine)),
        parseRecipient(identityToRecipient(generateIdentity())),
      ]),
    )
    expect(error.code).toBe('unsupported')
    // at the limit, a header that does not open costs at most MAX_STANZAS key exchanges
    expect(refusal(() => decrypt(hostileAgeFile(MAX_STANZAS), identities)).error.code).toBe('bad-mac')
  })
})
