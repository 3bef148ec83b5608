/**
 * Encrypting a secret in the SOPS format (issue: structured secrets sops, sops-nix and Flux read).
 * The data key is wrapped for each recipient as its own armored age file, as sops does. While
 * the recipients are unchanged the data key, the `enc` blobs and every unchanged value's IV and
 * ciphertext are reused, so a one-value edit changes one line plus the MAC and lastmodified.
 */
import { randomBytes } from 'node:crypto'
import { armor, encrypt, parseRecipient, sshToAgeRecipient } from '../age/index.js'
import type { Recipient as ConfigRecipient, SecretRule } from '../config/index.js'
import {
  completeSopsDocument,
  encryptSops,
  type SopsAgeEntry,
  type SopsMetadata,
  type SopsStore,
} from '../formats/sops/index.js'
import { UserError, warning } from '../ui.js'
import { sopsMetadata, sopsStore, unwrapDataKey } from './stored.js'
import type { KeyRing } from './keyring.js'

/** What encrypting a sops document needs of the keys: identities to open the previous data key, headers to wrap it. */
type SopsKeys = Pick<KeyRing, 'headers' | 'identities'>
import { recipientChange } from './recipient-change.js'
import { noteCodePath } from '../code-paths.js'

/** The recipient string a sops file records for a configured key (ssh-ed25519 as sops-nix converts it). */
export function sopsRecipient(key: string): string {
  return key.startsWith('ssh-ed25519 ') ? sshToAgeRecipient(key) : key
}

// 7 is git's marker size; the merge driver writes secrets' one longer (commands/merge.ts).
const CONFLICT_MARKERS = /^(<{7,}|>{7,})( |\r?$)/m

/** True when text holds git's conflict markers (a line of seven or more '<' or '>', alone or before a space). */
export function holdsConflictMarkers(bytes: Uint8Array): boolean {
  return CONFLICT_MARKERS.test(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'))
}

/** The recipient keys a blob of this format records for a rule (sops files: the age1 form of SSH keys). */
export function configuredKeys(rule: SecretRule, format: 'age' | 'sops'): string[] {
  return [...new Set(rule.recipients.map((r) => (format === 'sops' ? sopsRecipient(r.key) : r.key)))]
}

function wrap(keys: SopsKeys, dataKey: Uint8Array, recipient: string): SopsAgeEntry {
  // sops wraps the data key to each recipient separately: one-recipient headers.
  return {
    recipient,
    enc: armor(
      encrypt(
        dataKey,
        keys.headers.take([recipient], () => [parseRecipient(recipient)]),
      ),
    ),
  }
}

function names(config: ConfigRecipient[], keys: string[]): string {
  return keys.map((k) => config.find((r) => sopsRecipient(r.key) === k)?.name ?? k.slice(0, 16) + '…').join(', ')
}

/**
 * A dotenv value written over several lines (`KEY="line one` … `line two"`): sops's dotenv
 * store reads one `KEY=value` per line. When a continuation line has no `=`, sops cannot read
 * the file at all, and clean refuses it here with the way out (instead of sops's bare "not
 * KEY=VALUE"). When every continuation line happens to hold a `=` (base64 padding), the file
 * still round-trips byte for byte, so it is stored (a failing clean would also break
 * `git status`), with a warning: tools that read values (`git-seal exec`, `sops exec-env`)
 * would see the lines as separate keys.
 * @throws {UserError} naming the key and its lines, with the two ways out.
 */
export function checkMultilineDotenv(path: string, input: Uint8Array): void {
  const lines = Buffer.from(input.buffer, input.byteOffset, input.byteLength)
    .toString('utf8')
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
  for (let i = 0; i < lines.length; i++) {
    const m = /^(?:export\s+)?([^=#\s][^=]*)=\s*(["'`])(.*)$/.exec(lines[i]!)
    if (!m) continue
    const [, key, quote, rest] = m as unknown as [string, string, string, string]
    if (rest.trimEnd().endsWith(quote)) continue // opened and closed on this line
    const end = lines.findIndex((l, j) => j > i && l.trimEnd().endsWith(quote))
    if (end < 0) continue
    const message = `${path}: the value of ${key.trim()} spans lines ${i + 1} to ${end + 1}, which a dotenv file in the SOPS format cannot hold (sops reads one KEY=value per line)`
    const hint = `write it on one line with \\n for each line break (KEY="line one\\nline two"), or set 'format: age' for this secret in .gitseal.yaml to encrypt the file whole`
    const unreadable = lines.slice(i + 1, end + 1).some((l) => l !== '' && !l.startsWith('#') && !l.includes('='))
    if (unreadable) throw new UserError(message, hint)
    warning(`${message}; stored, but each line after the first reads as a key of its own`, hint)
    return
  }
}

/**
 * Encrypts plaintext for a sops rule, reusing what it can of `previous` (the newest stored
 * sops version of this path).
 * @throws {SopsError} on unparsable input; {UserError} when a partial sops document cannot be completed.
 */
export function encryptForSops(
  keys: SopsKeys,
  path: string,
  input: Uint8Array,
  rule: SecretRule,
  previous: Uint8Array | null,
  options: { store?: SopsStore } = {},
): Uint8Array {
  noteCodePath('sops')
  const store = options.store ?? sopsStore(path)
  if (store === 'dotenv') checkMultilineDotenv(path, input)
  if (store !== 'binary' && holdsConflictMarkers(input)) {
    throw new UserError(`${path}: still holds conflict markers`, `resolve the conflict, then 'git add -- ${path}'`)
  }
  // A store given explicitly wraps the input whole, as content (a conflicted merge, or input
  // clean could not prove ciphertext): even a sops document in it is just text then.
  const own = options.store ? null : sopsMetadata(path, input)
  if (own) {
    // A sops document with values added by hand: encrypt them with the file's own data key.
    const dataKey = unwrapDataKey(own, keys.identities())
    if (!dataKey) {
      throw new UserError(
        `${path}: has values in plaintext to encrypt, but none of your age identities opens its data key`,
        'ask someone who can decrypt it to add the values, or get your key added to it',
      )
    }
    return completeSopsDocument(input, store, dataKey)
  }
  const configured = [...new Set(rule.recipients.map((r) => sopsRecipient(r.key)))]
  let dataKey: Uint8Array | null = null
  let entries: SopsAgeEntry[] = []
  let reuse: { bytes: Uint8Array; dataKey: Uint8Array } | undefined
  const before: SopsMetadata | null = previous ? sopsMetadata(path, previous) : null
  const previousKey = before ? unwrapDataKey(before, keys.identities()) : null
  if (before && previousKey) {
    const recorded = before.age.map((e) => e.recipient)
    const { added, removed } = recipientChange(configured, recorded)
    if (removed.length === 0) {
      // Same or more readers: keep the data key and its existing `enc` blobs (like sops updatekeys).
      dataKey = previousKey
      entries = [
        ...before.age.filter((e) => configured.includes(e.recipient)),
        ...added.map((k) => wrap(keys, previousKey, k)),
      ]
      reuse = { bytes: previous!, dataKey: previousKey }
    }
    if (added.length) warning(`${path}: now also encrypted to ${names(rule.recipients, added)} (as .gitseal.yaml says)`)
    if (removed.length)
      warning(
        `${path}: no longer encrypted to ${names(rule.recipients, removed)}; a new data key was made (they knew the old one: rotate the values)`,
      )
  }
  if (!dataKey) {
    dataKey = randomBytes(32)
    entries = configured.map((k) => wrap(keys, dataKey!, k))
  }
  return encryptSops(input, store, {
    dataKey,
    age: entries,
    rules: rule.sops,
    ...(before ? { otherKeys: before.otherKeys } : {}),
    ...(reuse ? { previous: reuse } : {}),
    onNotice: (message) => warning(`${path}: ${message}`),
  })
}
