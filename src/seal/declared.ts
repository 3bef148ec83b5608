/**
 * Who a stored blob is for, as far as this clone can tell, and how it knows:
 *
 * - **verified**: this clone wrote the blob (its records), or a key here opens it and is one of
 *   the declared recipients, or an ssh-ed25519 stanza carries the declared key's tag.
 * - **declared**: the writer's word: the recipient declaration of an age header
 *   (src/age/declaration.ts) or the recipient list of a sops file. Any writer can declare
 *   falsely (age does not authenticate the sender); checks that a declaration must pass: one
 *   stanza per declared recipient, every ssh-ed25519 stanza tagged for a declared key and every
 *   declared ssh key with its stanza, and no key here opening it without being declared.
 *
 * `rekey` trusts a declaration only to skip a blob that already matches the config; `status`
 * and `recipients PATH` print which recipients are verified and which only declared.
 */
import {
  DECLARATION_TYPE,
  identityRecipient,
  looksLikeAge,
  openingIdentities,
  readDeclaration,
  readHeader,
  recipientFingerprint,
  sshStanzaTag,
  type Identity,
  type Stanza,
} from '../age/index.js'
import type { BlobRecords } from './records.js'
import { sopsMetadata } from './stored.js'

export type Evidence = 'verified' | 'declared'

export interface BlobReaders {
  /** where the list comes from; null when nothing here says whom the blob is for */
  source: 'record' | 'declaration' | 'sops-metadata' | null
  /** the keys it is for, in the form the format records (config text for age, age1 for sops) */
  keys: string[]
  /** how each key is known */
  evidence: Map<string, Evidence>
  /** why a verified key is verified */
  basis: Map<string, 'written here' | 'your key opens it' | 'its ssh-ed25519 stanza tag'>
  /** declared fingerprints that match no candidate key (someone the config does not name) */
  unknownFingerprints: string[]
  /** why a declaration here is not believed (then source is null and keys empty) */
  problem?: string
}

/** What the reader may consult: this clone's records, and identities to verify with (none: no verification). */
export interface ReaderEvidence {
  records: BlobRecords
  identities: Identity[]
}

const unknown = (problem?: string): BlobReaders => ({
  source: null,
  keys: [],
  evidence: new Map(),
  basis: new Map(),
  unknownFingerprints: [],
  ...(problem ? { problem } : {}),
})

const STANZA_OF: Record<string, string> = {
  x25519: 'X25519',
  'ssh-ed25519': 'ssh-ed25519',
  'x25519-pq': 'mlkem768x25519',
}

function kindOf(key: string): string {
  if (key.startsWith('ssh-ed25519 ')) return 'ssh-ed25519'
  if (key.startsWith('age1pq1')) return 'x25519-pq'
  if (/^age1[02-9ac-hj-np-z]+$/.test(key) && key.length === 62) return 'x25519'
  return 'other'
}

/**
 * The recipients of a stored secret blob.
 * @param candidates keys a declared fingerprint may stand for (every key of the config), as
 *   the blob's format records them.
 */
export function blobReaders(
  path: string,
  oid: string,
  bytes: Uint8Array,
  candidates: string[],
  given: ReaderEvidence,
): BlobReaders {
  // Only plain X25519 keys can name the recipient they verify; trying the others would only cost
  // prompts (a passphrase-protected SSH key, a hardware key's touch) for nothing.
  const evidence: ReaderEvidence = {
    records: given.records,
    identities: given.identities.filter((i) => identityRecipient(i) !== null),
  }
  if (looksLikeAge(bytes)) return ageReaders(oid, bytes, candidates, evidence)
  const metadata = sopsMetadata(path, bytes)
  if (!metadata) return unknown()
  const keys = metadata.age.map((e) => e.recipient)
  const out: BlobReaders = {
    source: 'sops-metadata',
    keys,
    evidence: new Map(keys.map((k) => [k, 'declared' as Evidence])),
    basis: new Map(),
    unknownFingerprints: [],
  }
  for (const entry of metadata.age) {
    if (evidence.identities.length === 0) break
    try {
      const opening = openingIdentities(Buffer.from(entry.enc, 'utf8'), evidence.identities)
      if (opening.some((i) => identityRecipient(i) === entry.recipient)) {
        out.evidence.set(entry.recipient, 'verified')
        out.basis.set(entry.recipient, 'your key opens it')
      }
    } catch {
      // a damaged entry verifies nothing; opening the file reports it
    }
  }
  return out
}

function ageReaders(oid: string, bytes: Uint8Array, candidates: string[], evidence: ReaderEvidence): BlobReaders {
  const record = evidence.records.get(oid)
  if (record && !record.wrapped && record.format === 'age') {
    return {
      source: 'record',
      keys: record.recipients,
      evidence: new Map(record.recipients.map((k) => [k, 'verified'])),
      basis: new Map(record.recipients.map((k) => [k, 'written here'])),
      unknownFingerprints: [],
    }
  }
  let stanzas: Stanza[]
  try {
    stanzas = readHeader(bytes).stanzas
  } catch {
    return unknown()
  }
  const declared = readDeclaration(stanzas)
  if (declared === null) return unknown()
  if (declared === 'malformed') return unknown('its recipient declaration is malformed')
  const recipientStanzas = stanzas.filter((s) => s.type !== DECLARATION_TYPE)
  if (recipientStanzas.length !== declared.length)
    return unknown(`it declares ${declared.length} recipient(s) but holds ${recipientStanzas.length} stanza(s)`)
  const byFingerprint = new Map(candidates.map((k) => [recipientFingerprint(k), k]))
  const keys: string[] = []
  const unknownFingerprints: string[] = []
  for (const f of declared) {
    const key = byFingerprint.get(f)
    if (key) keys.push(key)
    else unknownFingerprints.push(f)
  }
  // One stanza of the matching type per declared recipient of a known kind.
  for (const [kind, type] of Object.entries(STANZA_OF)) {
    const wanted = keys.filter((k) => kindOf(k) === kind).length
    const present = recipientStanzas.filter((s) => s.type === type).length
    if (present < wanted)
      return unknown(`it declares ${wanted} ${type} recipient(s) but holds ${present} such stanza(s)`)
  }
  const out: BlobReaders = {
    source: 'declaration',
    keys,
    evidence: new Map(keys.map((k) => [k, 'declared'])),
    basis: new Map(),
    unknownFingerprints,
  }
  // ssh-ed25519 stanzas name their key by a tag: each must be a declared key's, and each declared ssh key must have one.
  const sshTags = new Map(
    keys.flatMap((k) => {
      const tag = sshStanzaTag(k)
      return tag ? [[tag, k] as const] : []
    }),
  )
  for (const s of recipientStanzas.filter((s) => s.type === 'ssh-ed25519')) {
    const key = sshTags.get(s.args[0] ?? '')
    if (!key && unknownFingerprints.length === 0)
      return unknown('it holds an ssh-ed25519 stanza for a key it does not declare')
    if (key) {
      out.evidence.set(key, 'verified')
      out.basis.set(key, 'its ssh-ed25519 stanza tag')
    }
  }
  for (const [, key] of sshTags)
    if (out.evidence.get(key) !== 'verified') return unknown(`it declares an ssh-ed25519 recipient without its stanza`)
  if (evidence.identities.length > 0) {
    let opening: Identity[] = []
    try {
      opening = openingIdentities(bytes, evidence.identities)
    } catch {
      // damaged or oversized: opening it reports that
    }
    const declaredSet = new Set(declared)
    const openers = new Set<string>()
    for (const identity of opening) {
      const mine = identityRecipient(identity)
      if (mine === null) continue // an ssh or plugin key: its stanza was checked by tag, or cannot be named
      if (!declaredSet.has(recipientFingerprint(mine)))
        return unknown(`a key here (${mine.slice(0, 16)}…) opens it, but it does not declare that key`)
      openers.add(mine)
    }
    for (const identity of evidence.identities) {
      const mine = identityRecipient(identity)
      if (mine === null || !keys.includes(mine)) continue
      if (!openers.has(mine)) return unknown(`it declares a key here (${mine.slice(0, 16)}…), which does not open it`)
      out.evidence.set(mine, 'verified')
      out.basis.set(mine, 'your key opens it')
    }
  }
  return out
}

/** A key the config does not name, as `rekey` and `status` list it: by its declared fingerprint. */
export function unknownKeyLabel(fingerprint: string): string {
  return `fingerprint:${fingerprint}`
}

/**
 * The keys a blob is for, as a flat list (unknown declared keys as {@link unknownKeyLabel}), or
 * null when nothing here says.
 */
export function readerKeys(readers: BlobReaders): string[] | null {
  return readers.source === null ? null : [...readers.keys, ...readers.unknownFingerprints.map(unknownKeyLabel)]
}
