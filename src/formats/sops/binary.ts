/**
 * The binary store (docs/sops-format.md §4 "Binary", stores/json/store.go `BinaryStore`): the whole file is one
 * `str` value under `data` (additional data `data:`) in a JSON envelope laid out as sops does
 * (tab indentation, trailing newline); the MAC is SHA-512 of the raw bytes. sops >= 3.11 writes
 * no encryption rule for it and applies none.
 */
import { isEncryptedValue, openValue, sealValue } from './cipher.js'
import { metadataFor, requireReadableMetadata, type ParsedStore } from './engine.js'
import { SopsError } from './errors.js'
import { MacHasher, openMac } from './mac.js'
import {
  effectiveRules,
  metadataFromTree,
  type MetaTree,
  type MetaValue,
  type SopsAgeEntry,
  type SopsRules,
} from './metadata.js'
import { metaToJson, parseJson, parseJsonTree } from './json.js'
import { additionalData, shouldEncrypt, type ValueSlot } from './tree.js'

const NO_RULES: SopsRules = {}
const DATA = ['data']
const AD = additionalData(DATA)

/** A binary sops document as a parsed store, or an empty one when the bytes are not a JSON object. */
export function parseBinary(bytes: Uint8Array): ParsedStore {
  const text = Buffer.from(bytes).toString('utf8')
  try {
    if (parseJsonTree(text).kind === 'object') return parseJson(text)
  } catch {
    // not a JSON envelope: plaintext, so no metadata
  }
  return { slots: [], metadata: null, emit: () => text }
}

interface Envelope {
  data: string
  meta: NonNullable<ReturnType<typeof metadataFromTree>>
}

function envelope(bytes: Uint8Array): Envelope {
  const parsed = parseBinary(bytes)
  const meta = requireReadableMetadata(parsed)
  const slot = parsed.slots.find(
    (s): s is ValueSlot => s.kind === 'value' && s.path.length === 1 && s.path[0] === 'data',
  )
  if (slot?.value.type !== 'str') throw new SopsError('bad-value', 'binary sops file without a "data" string')
  return { data: slot.value.text, meta }
}

/** The plaintext bytes of `data` (without MAC check). */
function openData(env: Envelope, key: Uint8Array): Buffer {
  const encrypted = shouldEncrypt(DATA, effectiveRules(env.meta.rules))
  if (!encrypted || env.data === '' || !isEncryptedValue(env.data)) {
    if (encrypted && env.data !== '') throw new SopsError('bad-value', 'the "data" value is not encrypted')
    return Buffer.from(env.data, 'utf8')
  }
  return openValue(env.data, key, AD, 'the "data" value').plaintext
}

function macOf(data: Uint8Array, macOnly: boolean): string {
  const mac = new MacHasher(macOnly)
  mac.add(data)
  return mac.hex()
}

function write(
  data: Uint8Array,
  key: Uint8Array,
  opts: {
    age: readonly SopsAgeEntry[]
    otherKeys?: Record<string, MetaValue>
    now?: Date
    reuse?: { data: Buffer; enc: string; meta: Envelope['meta'] }
  },
): Uint8Array {
  const same = opts.reuse?.data.equals(Buffer.from(data))
  const enc = data.length === 0 ? '' : same ? opts.reuse!.enc : sealValue(data, 'str', key, AD)
  const macHex = macOf(data, false)
  const previous = same
    ? { macHex, meta: opts.reuse!.meta, rules: effectiveRules(NO_RULES), outputs: new Map(), reuse: new Map() }
    : undefined
  const tree: MetaTree = metadataFor(
    macHex,
    {
      key,
      age: opts.age,
      rules: NO_RULES,
      ...(opts.otherKeys ? { otherKeys: opts.otherKeys } : {}),
      ...(opts.now ? { now: opts.now } : {}),
      ...(previous ? { previous } : {}),
    },
    true,
  )
  return Buffer.from(`{\n\t"data": ${JSON.stringify(enc)},\n\t"sops": ${metaToJson(tree, '\t', 1, '\n')}\n}\n`, 'utf8')
}

/** @throws {SopsError} as `decryptSops` */
export function decryptBinary(bytes: Uint8Array, key: Uint8Array): Uint8Array {
  const env = envelope(bytes)
  const data = openData(env, key)
  if (openMac(env.meta.mac, key, env.meta.lastmodified) !== macOf(data, env.meta.rules.macOnlyEncrypted === true)) {
    throw new SopsError('bad-mac', 'MAC mismatch: the data was changed without the data key')
  }
  return new Uint8Array(data)
}

export function encryptBinary(
  plaintext: Uint8Array,
  opts: {
    dataKey: Uint8Array
    age: SopsAgeEntry[]
    otherKeys?: Record<string, MetaValue>
    now?: Date
    previous?: { bytes: Uint8Array; dataKey: Uint8Array }
  },
): Uint8Array {
  let reuse: { data: Buffer; enc: string; meta: Envelope['meta'] } | undefined
  if (opts.previous && Buffer.from(opts.previous.dataKey).equals(Buffer.from(opts.dataKey))) {
    try {
      const env = envelope(opts.previous.bytes)
      reuse = { data: Buffer.from(decryptBinary(opts.previous.bytes, opts.dataKey)), enc: env.data, meta: env.meta }
    } catch {
      // a previous version that does not open is not reused
    }
  }
  return write(plaintext, opts.dataKey, {
    age: opts.age,
    ...(opts.otherKeys ? { otherKeys: opts.otherKeys } : {}),
    ...(opts.now ? { now: opts.now } : {}),
    ...(reuse ? { reuse } : {}),
  })
}

/** A binary document whose `data` is plaintext gets it encrypted; otherwise it is returned as is. */
export function binaryComplete(bytes: Uint8Array, key: Uint8Array, now?: Date): Uint8Array {
  const env = envelope(bytes)
  if (env.data === '' || isEncryptedValue(env.data)) return bytes
  return write(Buffer.from(env.data, 'utf8'), key, {
    age: env.meta.age,
    otherKeys: env.meta.otherKeys,
    ...(now ? { now } : {}),
  })
}

export function describeBinary(
  bytes: Uint8Array,
): { recipients: string[]; keys: string[]; values: { key: string; stored: string }[] } | null {
  const parsed = parseBinary(bytes)
  const meta = metadataFromTree(parsed.metadata)
  if (!meta) return null
  const data = parsed.slots.find((s): s is ValueSlot => s.kind === 'value' && s.path[0] === 'data')
  return {
    recipients: meta.age.map((e) => e.recipient),
    keys: ['["data"]'],
    values: data ? [{ key: '["data"]', stored: data.value.text }] : [],
  }
}
