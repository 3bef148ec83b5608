/**
 * The text forms of plugin recipients and identities (C2SP age-plugin.md, "Mapping recipients
 * and identities to plugin binaries"): Bech32 with the HRP `age1NAME` (lowercase) for a
 * recipient and `AGE-PLUGIN-NAME-` (uppercase) for an identity; both are served by the binary
 * `age-plugin-NAME`. The data part is the plugin's business and may be empty or long, so no
 * length limit applies (age's own Bech32 has none either).
 * https://github.com/C2SP/C2SP/blob/main/age-plugin.md
 */
import { bech32 } from '@scure/base'
import { AgeError } from '../errors.js'

const IDENTITY_PREFIX = 'AGE-PLUGIN-'

/**
 * Native recipient types that share the `age1…` space: `age1` + data is X25519 (HRP `age`);
 * `age1pq1…` (post-quantum hybrid), `age1tag1…` and `age1tagpq1…` (P-256 tag types for
 * hardware keys) are built into age >= 1.3. None of them names a plugin.
 */
const NATIVE_NAMES = new Set(['pq', 'tag', 'tagpq'])

/**
 * A plugin name (any visible ASCII per the spec) that is also safe as part of a file name
 * looked up on PATH: no path separator, so `age-plugin-NAME` can never point elsewhere.
 */
function checkName(name: string, what: string): string {
  if (name === '' || !/^[\x21-\x7e]+$/.test(name) || name.includes('/') || name.includes('\\'))
    throw new AgeError('bad-key', `malformed ${what}: invalid plugin name`)
  return name
}

function decode(text: string, what: string): { prefix: string; data: Uint8Array } {
  if (text !== text.toLowerCase() && text !== text.toUpperCase())
    throw new AgeError('bad-key', `${what} mixes upper and lower case`)
  try {
    const { prefix, words } = bech32.decode(text as `${string}1${string}`, false)
    return { prefix, data: bech32.fromWords(words) }
  } catch {
    throw new AgeError('bad-key', `malformed ${what}`)
  }
}

/** True when `text` has the shape of a plugin recipient (`age1NAME1…`); cheap, no checksum. */
export function isPluginRecipient(text: string): boolean {
  const t = text.trim()
  const sep = t.lastIndexOf('1')
  // age1 + data: the separator is the "1" of "age1" itself, so the name is empty (X25519).
  if (!t.startsWith('age1') || sep <= 4) return false
  return !NATIVE_NAMES.has(t.slice(4, sep))
}

/** True when `text` has the shape of a plugin identity (`AGE-PLUGIN-NAME-1…`); cheap, no checksum. */
export function isPluginIdentity(text: string): boolean {
  return text.trim().startsWith(IDENTITY_PREFIX)
}

/**
 * The plugin name (lowercase) and data of `age1NAME1…`.
 * @throws {AgeError} 'bad-key' when it is not a well-formed plugin recipient (bad checksum,
 *   upper case, a native type, or a name that is not safe as a file name).
 */
export function parsePluginRecipient(text: string): { name: string; data: Uint8Array } {
  const t = text.trim()
  if (t !== t.toLowerCase()) throw new AgeError('bad-key', 'plugin recipients are lowercase')
  const { prefix, data } = decode(t, 'plugin recipient')
  if (!prefix.startsWith('age1') || NATIVE_NAMES.has(prefix.slice(4)))
    throw new AgeError('bad-key', 'not a plugin recipient')
  return { name: checkName(prefix.slice(4), 'plugin recipient'), data }
}

/**
 * The plugin name (lowercase) and data of `AGE-PLUGIN-NAME-1…`.
 * @throws {AgeError} 'bad-key' when it is not a well-formed plugin identity (age writes and
 *   reads them in upper case only).
 */
export function parsePluginIdentity(text: string): { name: string; data: Uint8Array } {
  const t = text.trim()
  if (t !== t.toUpperCase()) throw new AgeError('bad-key', 'plugin identities are uppercase')
  const { prefix, data } = decode(t, 'plugin identity')
  const hrp = prefix.toUpperCase()
  if (!hrp.startsWith(IDENTITY_PREFIX) || !hrp.endsWith('-') || hrp.length <= IDENTITY_PREFIX.length + 1)
    throw new AgeError('bad-key', 'not a plugin identity')
  return { name: checkName(hrp.slice(IDENTITY_PREFIX.length, -1).toLowerCase(), 'plugin identity'), data }
}

/**
 * `age1NAME1…` for a plugin's recipient data.
 * @throws {AgeError} 'bad-key' for a name that is not a safe plugin name.
 */
export function encodePluginRecipient(name: string, data: Uint8Array): string {
  return bech32.encode(`age1${checkName(name.toLowerCase(), 'plugin recipient')}`, bech32.toWords(data), false)
}

/**
 * `AGE-PLUGIN-NAME-1…` for a plugin's identity data.
 * @throws {AgeError} 'bad-key' for a name that is not a safe plugin name.
 */
export function encodePluginIdentity(name: string, data: Uint8Array): string {
  return bech32
    .encode(
      `${IDENTITY_PREFIX}${checkName(name.toLowerCase(), 'plugin identity')}-`.toLowerCase(),
      bech32.toWords(data),
      false,
    )
    .toUpperCase()
}
