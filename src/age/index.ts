/**
 * age (https://age-encryption.org), synchronous, on node:crypto: the only public entry of src/age/.
 * Verified against the C2SP CCTV vectors, rage and the age CLI (test/age/).
 */
import { dearmor, isArmored } from './armor.js'
import { AgeError } from './errors.js'
import {
  MAGIC,
  MAX_STANZAS as MAX_STANZAS_BOUND,
  checkStanzaCount,
  headerEnd,
  parseHeader,
  verifyHeaderMac,
  type Stanza,
} from './header.js'
import { encryptHybrid as encryptHybridUnchecked } from './hybrid.js'
import { prepareHeader, type PreparedHeader } from './prepared.js'
import { ScryptIdentity, ScryptRecipient } from './scrypt.js'
import {
  SshEd25519Identity,
  SshEd25519Recipient,
  parseOpenSshPrivateKey,
  sshToAgeIdentity as sshPrivateToAge,
  sshToAgeRecipient,
} from './ssh.js'
import { PayloadDecryptor, PayloadEncryptor } from './stream.js'
import type { Identity, Recipient } from './types.js'
import { X25519Identity, X25519Recipient, generateIdentity, identityToRecipient } from './x25519.js'
import { isPluginIdentity, isPluginRecipient, parsePluginIdentity } from './plugin/encoding.js'
import { PluginIdentity, PluginRecipient, pluginIdentities } from './plugin/keys.js'
import { DeclarationRecipient, isDeclarationText, parseDeclarationText } from './declaration.js'

export { AgeError, PluginError, type AgeErrorCode, type PluginFailure } from './errors.js'
export type { Stanza } from './header.js'
export type { Identity, Recipient } from './types.js'
export { armor, dearmor } from './armor.js'
export { generateIdentity, identityToRecipient, sshToAgeRecipient }
export { isHybridRecipient, isWellFormedHybridRecipient } from './hybrid.js'
export { x25519RecipientFault, type KeyFault } from './x25519.js'
export { isSshEd25519PublicKey } from './ssh.js'
export { MAX_STANZAS } from './header.js'
export { packPrepared, prepareHeader, unpackPrepared, type PreparedHeader } from './prepared.js'
export { isPluginIdentity, isPluginRecipient, PluginIdentity, PluginRecipient, pluginIdentities }
export {
  encodePluginIdentity,
  encodePluginRecipient,
  parsePluginIdentity,
  parsePluginRecipient,
} from './plugin/encoding.js'
export { pluginUI, setPluginUI, TerminalPluginUI, type PluginUI } from './plugin/ui.js'
export type { PluginOptions } from './plugin/keys.js'
// For git-seal's filter: headers made ahead on a worker thread (prewrap.ts), and random bytes
// from the same source age's own keys come from (the plaintext MAC key, src/seal/plaintext-macs.ts).
export { HeaderSupply, type HeaderSupplyOptions } from './prewrap.js'
export { randomBytes } from './primitives.js'
export {
  DECLARATION_TYPE,
  DeclarationRecipient,
  declarationText,
  identityRecipient,
  openingIdentities,
  readDeclaration,
  recipientFingerprint,
  sshStanzaTag,
} from './declaration.js'

/**
 * Stanza types of post-quantum recipients (age >= 1.3: `age1pq1…` and `age1tagpq1…`). age
 * refuses a file that mixes them with classic stanzas: encrypting to both would let the
 * classic one undo the post-quantum protection.
 */
const POST_QUANTUM_STANZAS = new Set(['mlkem768x25519', 'mlkem768p256tag'])
/** Stanza types of classic recipients: X25519, the SSH keys, the PIV (YubiKey) plugin's. */
const CLASSIC_STANZAS = new Set(['X25519', 'ssh-ed25519', 'ssh-rsa', 'piv-p256', 'p256tag'])

/** True when a header holds post-quantum stanzas alongside classic ones (age refuses such files). */
export function mixesPostQuantum(stanzas: Stanza[]): boolean {
  // Only known classic types count against post-quantum ones (as age's inspect does): other
  // stanzas (git-seal's recipient declaration, grease) wrap no key.
  const pq = stanzas.some((s) => POST_QUANTUM_STANZAS.has(s.type))
  return pq && stanzas.some((s) => CLASSIC_STANZAS.has(s.type))
}

/** {@link mixesPostQuantum} for a stored age file (binary or armored); false for anything else. */
export function ageFileMixesPostQuantum(bytes: Uint8Array): boolean {
  try {
    return looksLikeAge(bytes) && mixesPostQuantum(readHeader(bytes).stanzas)
  } catch {
    return false // not a readable header: other checks report it
  }
}

/**
 * A recipient from its text form: `age1…` (X25519), `age1NAME1…` (served by the plugin
 * `age-plugin-NAME`, started only when a file key is wrapped) or `ssh-ed25519 AAAA… [comment]`.
 * @throws {AgeError} 'bad-key' when malformed; 'unsupported' for ssh-rsa and age1pq1.
 */
export function parseRecipient(text: string): Recipient {
  const t = text.trim()
  if (isDeclarationText(t)) return parseDeclarationText(t) // git-seal's recipient declaration (declaration.ts)
  if (t.startsWith('age1pq1'))
    throw new AgeError(
      'unsupported',
      'post-quantum age1pq1 recipients can encrypt age-format files only (see encryptHybrid)',
    )
  if (isPluginRecipient(t)) return new PluginRecipient(t)
  if (t.startsWith('age1')) return X25519Recipient.parse(t)
  if (t.startsWith('ssh-')) return new SshEd25519Recipient(t)
  throw new AgeError('bad-key', 'not a recipient (expected age1… or ssh-ed25519 …)')
}

/**
 * An identity from its text form: AGE-SECRET-KEY-1… (X25519) or AGE-PLUGIN-NAME-1… (served by
 * `age-plugin-NAME`, started only when something is to be opened; several plugin identities
 * are better grouped with {@link pluginIdentities}, one session for all).
 * @throws {AgeError} 'bad-key' unless `text` is one of those.
 */
export function parseIdentity(text: string): Identity {
  if (isPluginIdentity(text)) return pluginIdentities([text])[0]!
  return X25519Identity.parse(text)
}

/**
 * The identities of a key file: one AGE-SECRET-KEY-1… or AGE-PLUGIN-NAME-1… per line (as age
 * and sops read them: `age-plugin-yubikey --identity` writes the latter), `#` comments and
 * blank lines skipped, CRLF accepted.
 * @throws {AgeError} 'bad-key' naming the line of anything else (never echoing it: it may be a key).
 */
export function parseIdentityFile(text: string): string[] {
  const out: string[] = []
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '').trim()
    if (line === '' || line.startsWith('#')) return
    if (isPluginIdentity(line)) {
      try {
        parsePluginIdentity(line)
      } catch {
        throw new AgeError('bad-key', `line ${i + 1} holds a malformed plugin identity`)
      }
      out.push(line)
      return
    }
    if (!line.toUpperCase().startsWith('AGE-SECRET-KEY-1'))
      throw new AgeError('bad-key', `line ${i + 1} is not an AGE-SECRET-KEY-1 identity (nor an AGE-PLUGIN-… one)`)
    try {
      X25519Identity.parse(line)
    } catch {
      throw new AgeError('bad-key', `line ${i + 1} holds a malformed identity`)
    }
    out.push(line)
  })
  return out
}

/** The identities no plugin serves: what can be tried without starting a process or asking for a touch. */
export function withoutPlugins(identities: Identity[]): Identity[] {
  return identities.filter((i) => !(i instanceof PluginIdentity))
}

/** True when some identity is served by a plugin (a checkout then batches its files: src/seal/plugin-batch.ts). */
export function hasPluginIdentity(identities: Identity[]): boolean {
  return identities.some((i) => i instanceof PluginIdentity)
}

/**
 * The recipient stanzas of each age file in a stored blob, as a plugin session needs them: the
 * header of an age file, or of each `enc` entry of a sops document. Empty for anything else
 * (and for a header that does not parse: the decryption reports it).
 */
export function stanzaSets(ageFiles: Uint8Array[]): Stanza[][] {
  const out: Stanza[][] = []
  for (const bytes of ageFiles) {
    try {
      out.push(readHeader(bytes).stanzas)
    } catch {
      // damaged: whoever decrypts it says so
    }
  }
  return out
}

/**
 * True when one of the identities that need no plugin opens one of these headers: then no
 * plugin has to be asked (and no key touched). Malformed stanzas count as "no".
 */
export function opensWithoutPlugin(sets: Stanza[][], identities: Identity[]): boolean {
  for (const identity of identities) {
    if (identity instanceof PluginIdentity) continue
    for (const stanzas of sets) {
      try {
        if (stanzas.length <= MAX_STANZAS_BOUND && identity.unwrapFileKey(stanzas)) return true
      } catch {
        // a malformed stanza of its type: the decryption reports it
      }
    }
  }
  return false
}

/** True when every plugin identity already knows what these headers hold for it (no session needed). */
export function pluginKnowsAll(identities: Identity[], sets: Stanza[][]): boolean {
  return identities.every((i) => !(i instanceof PluginIdentity) || sets.every((s) => i.knows(s)))
}

/**
 * Asks every plugin identity about all these headers at once: one session per plugin for all
 * of them, instead of one per file when each is opened. Never throws (see {@link PluginIdentity.prefetch}).
 * @returns true when a plugin session was needed for any of them.
 */
export function prefetchPluginKeys(identities: Identity[], sets: Stanza[][]): boolean {
  let asked = false
  for (const identity of identities) {
    if (!(identity instanceof PluginIdentity)) continue
    const unknown = sets.filter((s) => !identity.knows(s))
    if (unknown.length === 0) continue
    asked = true
    identity.prefetch(unknown)
  }
  return asked
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
 * Encrypts to post-quantum hybrid recipients, through age-encryption.
 * @throws {AgeError} 'unsupported' with more recipients than a header may hold ({@link MAX_STANZAS}),
 *   and when classic recipients are given too: age refuses files that mix them (config
 *   validation reports such secrets first).
 */
export async function encryptHybrid(plaintext: Uint8Array, hybrid: string[], others: Recipient[]): Promise<Uint8Array> {
  checkStanzaCount(hybrid.length + others.length)
  // git-seal's recipient declaration wraps no key: it is no classic recipient.
  if (others.some((r) => !(r instanceof DeclarationRecipient)))
    throw new AgeError(
      'unsupported',
      'post-quantum (age1pq1) recipients cannot be mixed with classic ones in one file: age refuses such files',
    )
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
/** A copy of the last binary header {@link looksLikeAge} accepted (public: stanzas and MAC). */
let lastAccepted: Buffer | null = null

/**
 * True when `bytes` start with a complete, well-formed age header (no key needed, MAC not
 * checked), or are an armored age file. Cheap when they are not.
 */
export function looksLikeAge(bytes: Uint8Array): boolean {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (buf.length >= MAGIC_BYTES.length && buf.subarray(0, MAGIC_BYTES.length).equals(MAGIC_BYTES)) {
    // The filter asks this of one blob two or three times (smudge, then openStored): bytes
    // starting with the header last accepted parse the same way (parseHeader reads nothing past
    // the MAC line), so they are compared instead of parsed again.
    if (
      lastAccepted !== null &&
      buf.length >= lastAccepted.length &&
      lastAccepted.equals(buf.subarray(0, lastAccepted.length))
    )
      return true
    try {
      const { headerLength } = parseHeader(buf)
      lastAccepted = Buffer.from(buf.subarray(0, headerLength))
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
    if (buf.length >= MAGIC_BYTES.length && !buf.subarray(0, MAGIC_BYTES.length).equals(MAGIC_BYTES))
      throw new AgeError('bad-header', 'not an age file')
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
