/**
 * git-seal's recipient declaration: one extra stanza in an age header that lists, as
 * fingerprints of their public keys, the recipients the writer encrypted the file to.
 *
 *     -> git-seal-recipients v1
 *     <base64 of the 8-byte fingerprints, concatenated, wrapped at 64 columns like any body>
 *
 * Why: X25519 stanzas are anonymous (an ephemeral share and a wrapped key), so a clone that did
 * not write a blob cannot tell whom it is for without the private keys; `rekey` there would
 * re-encrypt everything and report recipients "added" that were already there.
 *
 * Interop: the age spec has identities ignore stanzas of types they do not know (age's
 * X25519Identity.Unwrap returns ErrIncorrectIdentity for them, rage's identities skip them, and
 * rage itself writes random "grease" stanzas to keep it so). The stanza wraps nothing, so it
 * changes nothing about who can decrypt; the header MAC covers it, so nobody can alter it
 * without the file key. It is not an authentication: any writer (anyone holding the public
 * recipients) can declare falsely. Readers verify what they can (stanza count, ssh-ed25519
 * tags, their own key) and trust the rest only to decide what to skip.
 *
 * What it reveals: which public keys a blob claims to be for. Those keys are in .gitseal.yaml,
 * and for SOPS files in the file itself, so this adds nothing for a reader of the repository;
 * for a blob copied out of it, it lets someone holding a candidate public key test membership.
 */
import { createHash } from 'node:crypto'
import { AgeError } from './errors.js'
import { dearmor, isArmored } from './armor.js'
import { MAX_STANZAS, checkStanzaCount, parseHeader, verifyHeaderMac, type Stanza } from './header.js'
import { parseSshPublicKey, tagOf } from './ssh.js'
import type { Identity, Recipient } from './types.js'
import { X25519Identity, encodeRecipient } from './x25519.js'

export const DECLARATION_TYPE = 'git-seal-recipients'
const VERSION = 'v1'
const FINGERPRINT_BYTES = 8
/** The text form of a declaration, for parseRecipient (the header worker names recipients by text). */
const TEXT_PREFIX = `${DECLARATION_TYPE}:`

/** A recipient key as fingerprinted: an ssh key without its comment, an age key in lower case. */
function canonical(key: string): string {
  const t = key.trim()
  return t.startsWith('ssh-') ? t.split(/\s+/).slice(0, 2).join(' ') : t.toLowerCase()
}

/** The fingerprint a declaration lists for a public key (hex, 16 characters). */
export function recipientFingerprint(key: string): string {
  return createHash('sha256')
    .update(`git-seal recipient v1\n${canonical(key)}`)
    .digest()
    .subarray(0, FINGERPRINT_BYTES)
    .toString('hex')
}

/** The stanza itself. */
function stanzaFor(fingerprints: string[]): Stanza {
  return { type: DECLARATION_TYPE, args: [VERSION], body: Buffer.from(fingerprints.join(''), 'hex') }
}

/** Writes the declaration into a header as if it were a recipient: it wraps nothing. */
export class DeclarationRecipient implements Recipient {
  constructor(private readonly fingerprints: string[]) {}
  static forKeys(keys: string[]): DeclarationRecipient {
    return new DeclarationRecipient([...new Set(keys.map(recipientFingerprint))])
  }
  get text(): string {
    return TEXT_PREFIX + this.fingerprints.join(',')
  }
  wrapFileKey(): Stanza[] {
    return [stanzaFor(this.fingerprints)]
  }
}

/**
 * The declaration for `keys` as the text a recipient list can carry (see parseRecipient), or
 * null when the header would then hold more than {@link MAX_STANZAS} stanzas (the recipients
 * come first; such a blob is simply undeclared).
 */
export function declarationText(keys: string[], stanzas: number): string | null {
  if (stanzas + 1 > MAX_STANZAS) return null
  return DeclarationRecipient.forKeys(keys).text
}

export function isDeclarationText(text: string): boolean {
  return text.startsWith(TEXT_PREFIX)
}

/** @throws {AgeError} 'bad-key' when the text is not one {@link declarationText} writes. */
export function parseDeclarationText(text: string): DeclarationRecipient {
  const list = text.slice(TEXT_PREFIX.length).split(',')
  if (!list.every((f) => /^[0-9a-f]{16}$/.test(f))) throw new AgeError('bad-key', 'malformed recipient declaration')
  return new DeclarationRecipient(list)
}

/**
 * The fingerprints a header declares: null when it has no declaration; 'malformed' when it has
 * one that is not ours to read (another version, a torn body, or several).
 */
export function readDeclaration(stanzas: Stanza[]): string[] | null | 'malformed' {
  const found = stanzas.filter((s) => s.type === DECLARATION_TYPE)
  if (found.length === 0) return null
  const s = found[0]!
  if (
    found.length > 1 ||
    s.args.length !== 1 ||
    s.args[0] !== VERSION ||
    s.body.length === 0 ||
    s.body.length % FINGERPRINT_BYTES !== 0
  )
    return 'malformed'
  const out: string[] = []
  for (let i = 0; i < s.body.length; i += FINGERPRINT_BYTES)
    out.push(Buffer.from(s.body.subarray(i, i + FINGERPRINT_BYTES)).toString('hex'))
  return out
}

/** The tag an ssh-ed25519 stanza carries for this key (the first argument), or null for other keys. */
export function sshStanzaTag(key: string): string | null {
  if (!key.trim().startsWith('ssh-ed25519 ')) return null
  try {
    return tagOf(parseSshPublicKey(key).wire)
  } catch {
    return null
  }
}

/** The age1… recipient of an identity when it is a plain X25519 key; null for others (ssh, plugins). */
export function identityRecipient(identity: Identity): string | null {
  return identity instanceof X25519Identity ? encodeRecipient(identity.publicKey) : null
}

/**
 * The identities that open this age file: one of its stanzas gives them a file key under which
 * the header MAC verifies. Each identity is tried on its own (a key exchange per X25519 stanza),
 * so the answer says which of several keys here are readers.
 * @throws {AgeError} when the header is malformed or holds more than {@link MAX_STANZAS} stanzas.
 */
export function openingIdentities(bytes: Uint8Array, identities: Identity[]): Identity[] {
  const header = parseHeader(isArmored(bytes) ? dearmor(Buffer.from(bytes).toString('latin1')) : bytes)
  checkStanzaCount(header.stanzas.length)
  return identities.filter((identity) => {
    let key: Uint8Array | null = null
    try {
      key = identity.unwrapFileKey(header.stanzas)
    } catch {
      // a stanza of its type it cannot read: it opens nothing here
      return false
    }
    if (!key) return false
    try {
      return verifyHeaderMac(header, key)
    } finally {
      key.fill?.(0)
    }
  })
}
