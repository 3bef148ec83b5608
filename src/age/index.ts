/**
 * age (https://age-encryption.org), synchronous, on node:crypto: the only public entry of src/age/.
 * Verified against the C2SP CCTV vectors, rage and the age CLI (test/age/).
 */
import { dearmor, isArmored } from './armor.js'
import { AgeError } from './errors.js'
import { MAGIC, checkStanzaCount, headerEnd, parseHeader, verifyHeaderMac, type Stanza } from './header.js'
import { encryptHybrid as encryptHybridUnchecked } from './hybrid.js'
import { prepareHeader, type PreparedHeader } from './prepared.js'
import { ScryptIdentity, ScryptRecipient } from './scrypt.js'
import { SshEd25519Identity, SshEd25519Recipient, parseOpenSshPrivateKey, sshToAgeIdentity as sshPrivateToAge, sshToAgeRecipient } from './ssh.js'
import { PayloadDecryptor, PayloadEncryptor } from './stream.js'
import type { Identity, Recipient } from './types.js'
import { X25519Identity, X25519Recipient, generateIdentity, identityToRecipient } from './x25519.js'
import { isDeclarationText, parseDeclarationText } from './declaration.js'

export { AgeError, type AgeErrorCode } from './errors.js'
export type { Stanza } from './header.js'
export type { Identity, Recipient } from './types.js'
export { armor, dearmor } from './armor.js'
export { generateIdentity, identityToRecipient, sshToAgeRecipient }
export { isHybridRecipient } from './hybrid.js'
export { MAX_STANZAS } from './header.js'
export { packPrepared, prepareHeader, unpackPrepared, type PreparedHeader } from './prepared.js'
export { DECLARATION_TYPE, DeclarationRecipient, declarationText, identityRecipient, openingIdentities, readDeclaration, recipientFingerprint, sshStanzaTag } from './declaration.js'

/**
 * A recipient from its text form: `age1…` (X25519) or `ssh-ed25519 AAAA… [comment]`.
 * @throws {AgeError} 'bad-key' when malformed; 'unsupported' for ssh-rsa and age1pq1.
 */
export function parseRecipient(text: string): Recipient {
  const t = text.trim()
  if (isDeclarationText(t)) return parseDeclarationText(t) // git-seal's recipient declaration (declaration.ts)
  if (t.startsWith('age1pq1')) throw new AgeError('unsupported', 'post-quantum age1pq1 recipients can encrypt age-format files only (see encryptHybrid)')
  if (t.startsWith('age1')) return X25519Recipient.parse(t)
  if (t.startsWith('ssh-')) return new SshEd25519Recipient(t)
  throw new AgeError('bad-key', 'not a recipient (expected age1… or ssh-ed25519 …)')
}

/** @throws {AgeError} 'bad-key' unless `text` is an AGE-SECRET-KEY-1… identity. */
export function parseIdentity(text: string): Identity {
  return X25519Identity.parse(text)
}

/**
 * The identities of a key file: one AGE-SECRET-KEY-1… per line, `#` comments and blank lines
 * skipped, CRLF accepted.
 * @throws {AgeError} 'bad-key' naming the line of anything else (never echoing it: it may be a key).
 */
export function parseIdentityFile(text: string): string[] {
  const out: string[] = []
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '').trim()
    if (line === '' || line.startsWith('#')) return
    if (!line.toUpperCase().startsWith('AGE-SECRET-KEY-1')) throw new AgeError('bad-key', `line ${i + 1} is not an AGE-SECRET-KEY-1 identity`)
    try {
      X25519Identity.parse(line)
    } catch {
      throw new AgeError('bad-key', `line ${i + 1} holds a malformed identity`)
    }
    out.push(line)
  })
  return out
}

/**
 * An identity from an OpenSSH ed25519 private key.
 * @throws {AgeError} 'bad-key' / 'unsupported' for other keys or passphrase-protected ones.
 */
export function parseSshIdentity(pem: string, _passphrase?: () => string): Identity {
  return new SshEd25519Identity(parseOpenSshPrivateKey(pem))
}

/** `ssh-to-age -private-key`. */
export function sshToAgeIdentity(pem: string, _passphrase?: () => string): string {
  return sshPrivateToAge(pem)
}

export function scryptRecipient(passphrase: string, logN?: number): Recipient {
  return new ScryptRecipient(passphrase, logN)
}

export function scryptIdentity(passphrase: string): Identity {
  return new ScryptIdentity(passphrase)
}

/** Short names of the recipients recorded in a header, for messages. */
export function describeStanzas(stanzas: Stanza[]): string[] {
  return stanzas.map((s) => (s.type === 'ssh-ed25519' ? `ssh-ed25519 ${s.args[0] ?? ''}` : s.type))
}

/**
 * Encrypts to post-quantum hybrid recipients (and our own), through age-encryption.
 * @throws {AgeError} 'unsupported' with more recipients than a header may hold ({@link MAX_STANZAS}).
 */
export async function encryptHybrid(plaintext: Uint8Array, hybrid: string[], others: Recipient[]): Promise<Uint8Array> {
  checkStanzaCount(hybrid.length + others.length)
  return encryptHybridUnchecked(plaintext, hybrid, others)
}

/** The file key, from the first identity that opens a stanza; the stanza count is checked first (hostile headers). */
function unwrap(stanzas: Stanza[], identities: Identity[]): Uint8Array {
  checkStanzaCount(stanzas.length)
  for (const identity of identities) {
    const key = identity.unwrapFileKey(stanzas)
    if (key) return key
  }
  throw new AgeError('no-identity', 'no identity matched any of the recipients')
}

/** Reads the header of a binary age file. @throws {AgeError} when there is none or it is malformed. */
export function readHeader(bytes: Uint8Array): { stanzas: Stanza[]; headerLength: number } {
  const h = parseHeader(isArmored(bytes) ? dearmor(Buffer.from(bytes).toString('latin1')) : bytes)
  return { stanzas: h.stanzas, headerLength: h.headerLength }
}

const MAGIC_BYTES = Buffer.from(MAGIC + '\n', 'latin1')

/**
 * True when `bytes` start with a complete, well-formed age header (no key needed, MAC not
 * checked), or are an armored age file. Cheap when they are not.
 */
export function looksLikeAge(bytes: Uint8Array): boolean {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (buf.length >= MAGIC_BYTES.length && buf.subarray(0, MAGIC_BYTES.length).equals(MAGIC_BYTES)) {
    try {
      parseHeader(buf)
      return true
    } catch {
      return false
    }
  }
  if (!isArmored(buf)) return false
  try {
    parseHeader(dearmor(buf.toString('latin1')))
    return true
  } catch {
    return false
  }
}

/**
 * Encrypts a whole buffer, to recipients or with a header made ahead ({@link prepareHeader}).
 * @throws {AgeError} 'bad-key' without recipients.
 */
export function encrypt(plaintext: Uint8Array, to: Recipient[] | PreparedHeader): Uint8Array {
  const stream = new EncryptStream(to)
  const body = stream.update(plaintext)
  return Buffer.concat([body, stream.final()])
}

/**
 * Decrypts a whole binary or armored age file.
 * @throws {AgeError} 'no-identity' when no identity opens it; 'bad-header', 'bad-mac',
 *   'bad-payload' or 'truncated' when it is malformed or damaged; 'unsupported' when its header
 *   holds more than {@link MAX_STANZAS} stanzas (refused before any key exchange).
 */
export function decrypt(ciphertext: Uint8Array, identities: Identity[]): Uint8Array {
  const bytes = isArmored(ciphertext) ? dearmor(Buffer.from(ciphertext).toString('latin1')) : ciphertext
  const stream = new DecryptStream(identities)
  const body = stream.update(bytes)
  return Buffer.concat([body, stream.final()])
}

/** Encrypts as input arrives; update() returns what is ready (the header with the first output). */
export class EncryptStream {
  private header: Buffer | null
  private readonly payload: PayloadEncryptor

  /** @param to the recipients, or a header made ahead for them (used once: its key is wiped). */
  constructor(to: Recipient[] | PreparedHeader) {
    const prepared = Array.isArray(to) ? prepareHeader(to) : to
    this.header = prepared.prefix
    this.payload = new PayloadEncryptor(prepared.payloadKey)
  }

  private withHeader(parts: Buffer[]): Buffer[] {
    if (this.header) {
      parts.unshift(this.header)
      this.header = null
    }
    return parts
  }

  /** The output ready so far as pieces, without joining them (large files: no extra copy). */
  updateParts(chunk: Uint8Array): Buffer[] {
    return this.withHeader(this.payload.update(chunk))
  }

  finalParts(): Buffer[] {
    return this.withHeader(this.payload.final())
  }

  update(chunk: Uint8Array): Buffer {
    return Buffer.concat(this.updateParts(chunk))
  }

  final(): Buffer {
    return Buffer.concat(this.finalParts())
  }
}

/**
 * Decrypts as input arrives (binary age only). Plaintext of a chunk is released only after its
 * tag verified; header errors are thrown by the update() that completes the header.
 */
export class DecryptStream {
  private headerBytes: Buffer[] = []
  private headerSize = 0
  private payload: PayloadDecryptor | null = null

  constructor(private readonly identities: Identity[]) {}

  update(chunk: Uint8Array): Buffer {
    return Buffer.concat(this.updateParts(chunk))
  }

  /** Verified plaintext so far as pieces, without joining them (large files: no extra copy). */
  updateParts(chunk: Uint8Array): Buffer[] {
    if (this.payload) return this.payload.update(chunk)
    this.headerBytes.push(Buffer.from(chunk))
    this.headerSize += chunk.length
    const buf = Buffer.concat(this.headerBytes, this.headerSize)
    this.headerBytes = [buf]
    if (buf.length >= MAGIC_BYTES.length && !buf.subarray(0, MAGIC_BYTES.length).equals(MAGIC_BYTES)) throw new AgeError('bad-header', 'not an age file')
    const end = headerEnd(buf)
    if (end < 0) {
      if (this.headerSize > 1 << 20) throw new AgeError('bad-header', 'header is larger than 1 MiB')
      return []
    }
    const header = parseHeader(buf)
    const fileKey = unwrap(header.stanzas, this.identities)
    if (!verifyHeaderMac(header, fileKey)) throw new AgeError('bad-mac', 'header MAC does not verify')
    this.payload = new PayloadDecryptor(fileKey)
    this.headerBytes = []
    return this.payload.update(buf.subarray(end))
  }

  final(): Buffer {
    if (!this.payload) throw new AgeError('truncated', 'header is truncated')
    return this.payload.final()
  }
}
