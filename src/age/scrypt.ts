/**
 * The scrypt recipient type (passphrase-encrypted files, such as a protected key file):
 * `-> scrypt <salt> <log2 N>`. https://github.com/C2SP/C2SP/blob/main/age.md#the-scrypt-recipient-type
 */
import { randomBytes, scryptSync } from 'node:crypto'
import { AgeError } from './errors.js'
import type { Stanza } from './header.js'
import { decodeBase64, encodeBase64, open, seal } from './primitives.js'
import type { Identity, Recipient } from './types.js'

const LABEL = 'age-encryption.org/v1/scrypt'
/** Refuse work factors that would take minutes: the file is hostile or not for us. */
const MAX_LOG_N = 22

function wrapKey(passphrase: string, salt: Uint8Array, logN: number): Buffer {
  return scryptSync(Buffer.from(passphrase, 'utf8'), Buffer.concat([Buffer.from(LABEL), salt]), 32, {
    N: 2 ** logN,
    r: 8,
    p: 1,
    maxmem: 2 ** logN * 8 * 128 * 2,
  })
}

export class ScryptRecipient implements Recipient {
  constructor(
    private readonly passphrase: string,
    private readonly logN = 18,
  ) {}
  wrapFileKey(fileKey: Uint8Array): Stanza[] {
    const salt = randomBytes(16)
    return [
      {
        type: 'scrypt',
        args: [encodeBase64(salt), String(this.logN)],
        body: seal(wrapKey(this.passphrase, salt, this.logN), fileKey),
      },
    ]
  }
}

export class ScryptIdentity implements Identity {
  constructor(private readonly passphrase: string) {}
  unwrapFileKey(stanzas: Stanza[]): Uint8Array | null {
    const s = stanzas.find((x) => x.type === 'scrypt')
    if (!s) return null
    // A passphrase-encrypted file has exactly one stanza: mixing would let anyone with a
    // recipient key substitute the file under the passphrase holder's name.
    if (stanzas.length !== 1) throw new AgeError('bad-header', 'an scrypt stanza must be the only stanza')
    if (s.args.length !== 2) throw new AgeError('bad-header', 'scrypt stanza has the wrong number of arguments')
    const salt = decodeBase64(s.args[0]!, 'scrypt salt')
    if (salt.length !== 16) throw new AgeError('bad-header', 'scrypt salt has the wrong length')
    if (!/^[1-9][0-9]*$/.test(s.args[1]!)) throw new AgeError('bad-header', 'scrypt work factor is malformed')
    const logN = Number(s.args[1])
    if (logN > MAX_LOG_N) throw new AgeError('bad-header', `scrypt work factor ${logN} is too large`)
    if (s.body.length !== 32) throw new AgeError('bad-header', 'scrypt stanza body has the wrong length')
    const key = open(wrapKey(this.passphrase, salt, logN), s.body)
    if (key && key.length !== 16) throw new AgeError('bad-header', 'file key has the wrong length')
    return key
  }
}
