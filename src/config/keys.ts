/** Recognising recipient keys in the config without parsing them for encryption. */
import { bech32 } from '@scure/base'
import { isPluginRecipient, parsePluginRecipient } from '../age/index.js'

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
    return /^age1pq1[02-9ac-hj-np-z]+$/.test(k) ? { kind: 'x25519-pq' } : { problem: 'not a valid age1pq1 recipient' }
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
    try {
      if (k !== k.toLowerCase()) return { problem: 'age recipients are lowercase' }
      const { prefix, words } = bech32.decode(k as `${string}1${string}`, 120)
      if (prefix !== 'age' || bech32.fromWords(words).length !== 32) return { problem: 'not a valid age X25519 recipient' }
      return { kind: 'x25519' }
    } catch {
      return { problem: 'not a valid age recipient (bad bech32)' }
    }
  }
  if (k.startsWith('ssh-rsa ')) return { problem: 'ssh-rsa keys are not supported; use an ed25519 SSH key or an age key' }
  if (k.startsWith('ssh-ed25519 ')) {
    const blob = Buffer.from(k.split(/\s+/)[1] ?? '', 'base64')
    const typeLength = blob.length >= 4 ? blob.readUInt32BE(0) : -1
    const type = blob.subarray(4, 4 + Math.max(typeLength, 0)).toString('latin1')
    const keyLength = blob.length >= 8 + typeLength ? blob.readUInt32BE(4 + typeLength) : -1
    if (type !== 'ssh-ed25519' || keyLength !== 32 || blob.length !== 8 + typeLength + 32) return { problem: 'not a valid ssh-ed25519 public key' }
    return { kind: 'ssh-ed25519' }
  }
  if (k.startsWith('AGE-SECRET-KEY-')) return { problem: 'this is a private key: put the public recipient (age1…) here, and keep the private key secret' }
  if (k.startsWith('AGE-PLUGIN-')) return { problem: 'this is a plugin identity: put the plugin recipient (age1NAME1…) here; the identity belongs in your key file' }
  return { problem: 'not a recognised public key (expected age1…, age1pq1…, a plugin recipient age1NAME1… or ssh-ed25519 …)' }
}
