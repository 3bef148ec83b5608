/**
 * Recognising recipient keys in the config without parsing them for encryption. What a key of
 * each kind is (bech32, the OpenSSH wire form, plugin encodings) is src/age's knowledge; this
 * module words the problems for a config's author.
 */
import {
  isPluginIdentity,
  isPluginRecipient,
  isSshEd25519PublicKey,
  isWellFormedHybridRecipient,
  parsePluginRecipient,
  x25519RecipientFault,
} from '../age/index.js'

/** The longest `age1…` text read as bech32 at all. */
const MAX_AGE_KEY_LENGTH = 120

export type KeyKind = 'x25519' | 'ssh-ed25519' | 'x25519-pq' | 'plugin'

/**
 * The kind of a public key, or a reason it is refused.
 * age1…: bech32, HRP "age", 32 bytes. age1pq1…: the post-quantum hybrid form (age 1.3+).
 * ssh-ed25519 AAAA…: the OpenSSH wire blob, key type then a 32-byte key.
 * age1NAME1…: a plugin recipient (age-plugin-NAME, e.g. age1yubikey1…); its data is the plugin's business.
 */
export function classifyKey(key: string): { kind: KeyKind } | { problem: string } {
  const k = key.trim()
  if (k.startsWith('age1pq1')) {
    return isWellFormedHybridRecipient(k) ? { kind: 'x25519-pq' } : { problem: 'not a valid age1pq1 recipient' }
  }
  if (isPluginRecipient(k)) {
    try {
      parsePluginRecipient(k)
      return { kind: 'plugin' }
    } catch (e) {
      return { problem: `not a valid plugin recipient (${(e as Error).message})` }
    }
  }
  if (k.startsWith('age1')) {
    // age reads an all-uppercase key too; a config holds the form age writes.
    if (k !== k.toLowerCase()) return { problem: 'age recipients are lowercase' }
    // An X25519 recipient is 62 characters; a longer text was always refused as bad bech32.
    if (k.length > MAX_AGE_KEY_LENGTH) return { problem: 'not a valid age recipient (bad bech32)' }
    const fault = x25519RecipientFault(k)
    if (fault === 'bad-bech32') return { problem: 'not a valid age recipient (bad bech32)' }
    if (fault !== null) return { problem: 'not a valid age X25519 recipient' }
    return { kind: 'x25519' }
  }
  if (k.startsWith('ssh-rsa '))
    return { problem: 'ssh-rsa keys are not supported; use an ed25519 SSH key or an age key' }
  if (k.startsWith('ssh-ed25519 '))
    return isSshEd25519PublicKey(k) ? { kind: 'ssh-ed25519' } : { problem: 'not a valid ssh-ed25519 public key' }
  if (k.startsWith('AGE-SECRET-KEY-'))
    return { problem: 'this is a private key: put the public recipient (age1…) here, and keep the private key secret' }
  if (isPluginIdentity(k))
    return {
      problem:
        'this is a plugin identity: put the plugin recipient (age1NAME1…) here; the identity belongs in your key file',
    }
  return {
    problem: 'not a recognised public key (expected age1…, age1pq1…, a plugin recipient age1NAME1… or ssh-ed25519 …)',
  }
}

/**
 * A public key without what follows it: the type and the key for an ssh key (its comment, the
 * third word of a .pub line, is not part of it), the whole trimmed text otherwise. Two keys are
 * the same recipient when these are equal.
 */
export function keyWithoutComment(key: string): string {
  return key.trim().split(/\s+/).slice(0, 2).join(' ')
}
