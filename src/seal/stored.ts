/**
 * What a stored blob is, and opening it, whatever its format: the one place clean, smudge,
 * textconv, merge, status, guard and verify learn to read a blob.
 */
import { createHash } from 'node:crypto'
import {
  DECLARATION_TYPE,
  MAX_STANZAS,
  decrypt,
  describeStanzas,
  looksLikeAge,
  readHeader,
  type Identity,
} from '../age/index.js'
import {
  SopsError,
  decryptSops,
  isCompleteSopsDocument,
  readSopsMetadata,
  storeForPath,
  type SopsMetadata,
  type SopsStore,
} from '../formats/sops/index.js'
import { noteCodePath } from '../code-paths.js'

export type StoredKind = 'age' | 'sops' | 'plaintext'

/** The sops store sops itself would pick for this path (by suffix; binary otherwise). */
export function sopsStore(path: string): SopsStore {
  return storeForPath(path) ?? 'binary'
}

/**
 * The store of a stored sops document: the path's, except for sops's binary store
 * (`{"data": …, "sops": …}`), which git-seal also uses for a conflicted merge of a structured
 * file (its marked-up text is no YAML or JSON document).
 */
export function storeOf(path: string, bytes: Uint8Array): SopsStore {
  const store = sopsStore(path)
  if (store === 'binary' || bytes[0] !== 0x7b /* { */) return store
  try {
    const keys = Object.keys(JSON.parse(Buffer.from(bytes).toString('utf8')) as object)
    if (keys.length === 2 && keys.includes('data') && keys.includes('sops')) return 'binary'
  } catch {
    // not JSON: the store its path says
  }
  return store
}

/** True when a structured file is stored whole in the binary store: an unresolved merge. */
export function isWrappedConflict(path: string, bytes: Uint8Array): boolean {
  return sopsStore(path) !== 'binary' && storeOf(path, bytes) === 'binary'
}

/** The sops metadata of bytes stored at `path`, or null when they are not a sops document. */
export function sopsMetadata(path: string, bytes: Uint8Array): SopsMetadata | null {
  // Cheap pre-check: every store spells the metadata key "sops".
  if (Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf('sops') < 0) return null
  try {
    return readSopsMetadata(bytes, storeOf(path, bytes))
  } catch {
    return null
  }
}

/** Classifies stored bytes without any key. */
export function storedKind(path: string, bytes: Uint8Array): StoredKind {
  if (looksLikeAge(bytes)) return 'age'
  if (sopsMetadata(path, bytes)) return 'sops'
  return 'plaintext'
}

/**
 * True when the bytes are completely encrypted: an age file, or a sops document whose every
 * value not exempted by its rules is ENC[...]. What the guard requires of a secret.
 */
export function isCiphertext(path: string, bytes: Uint8Array): boolean {
  if (looksLikeAge(bytes)) return true
  try {
    return sopsMetadata(path, bytes) !== null && isCompleteSopsDocument(bytes, storeOf(path, bytes))
  } catch {
    return false
  }
}

/**
 * The data key of a sops document: every `enc` entry tried with every identity. A document
 * listing more than {@link MAX_STANZAS} age entries is not tried at all (each costs a key
 * exchange per identity; the same bound as an age header's stanzas).
 */
export function unwrapDataKey(metadata: SopsMetadata, identities: Identity[]): Uint8Array | null {
  if (metadata.age.length > MAX_STANZAS) return null
  for (const entry of metadata.age) {
    try {
      const key = decrypt(Buffer.from(entry.enc, 'utf8'), identities)
      if (key.length === 32) return key
    } catch {
      // not for us; try the next entry
    }
  }
  return null
}

/**
 * The plaintext of a stored blob; plaintext input comes back as is.
 * @throws {AgeError} when no identity opens an age file or it is damaged;
 *   {SopsError} when a sops document is damaged; Error('no identity…') when no identity opens its data key.
 */
export function openStored(path: string, bytes: Uint8Array, identities: Identity[]): Uint8Array {
  if (looksLikeAge(bytes)) {
    noteCodePath('age')
    return decrypt(bytes, identities)
  }
  const metadata = sopsMetadata(path, bytes)
  if (!metadata) return bytes
  noteCodePath('sops')
  if (metadata.age.length > MAX_STANZAS) {
    throw new SopsError(
      'unsupported',
      `its metadata lists ${metadata.age.length} age recipients, more than the ${MAX_STANZAS} git-seal tries`,
    )
  }
  const dataKey = unwrapDataKey(metadata, identities)
  if (!dataKey) throw new NoSopsKeyError()
  try {
    return decryptSops(bytes, storeOf(path, bytes), dataKey)
  } finally {
    dataKey.fill(0)
  }
}

/** None of the identities opens any `enc` entry of a sops document. */
export class NoSopsKeyError extends Error {
  override name = 'NoSopsKeyError'
  constructor() {
    super('none of your age identities can decrypt its data key')
  }
}

/** One line standing in for a file nobody here can decrypt: its format and recorded recipients. */
export function placeholder(path: string, bytes: Uint8Array, reason: string): string {
  let what: string = 'plaintext'
  if (looksLikeAge(bytes)) {
    let recipients = ''
    try {
      // git-seal's recipient declaration is no recipient: left out of the list.
      recipients = ` for ${describeStanzas(readHeader(bytes).stanzas.filter((st) => st.type !== DECLARATION_TYPE)).join(', ')}`
    } catch {
      // a damaged header: the placeholder says what it can without the recipients
    }
    what = `age file${recipients}`
  } else {
    const metadata = sopsMetadata(path, bytes)
    if (metadata)
      what = `sops ${storeOf(path, bytes)} file for ${metadata.age.map((e) => e.recipient).join(', ') || 'no age recipient'}`
  }
  // The digest tells versions apart: two sides of a diff must not print the same line.
  const digest = createHash('sha256').update(bytes).digest('hex').slice(0, 12)
  return `[git-seal: ${what}, ${bytes.length} bytes, sha256:${digest}; ${reason}]\n`
}
