/**
 * The part of an age file that does not depend on its payload, made ahead: the header (a fresh
 * file key wrapped to each recipient, then the header MAC) and the payload nonce, with the
 * payload key derived from them. The file key itself is wiped once both are made.
 * https://github.com/C2SP/C2SP/blob/main/age.md#header
 *
 * Why: wrapping costs two X25519 operations per recipient, most of what encrypting a small
 * file costs. A filter makes headers on a second thread while git does its share of the work
 * (src/age/prewrap.ts), so the request path is left with one ChaCha20-Poly1305 call.
 */
import { AgeError } from './errors.js'
import { writeHeader, type Stanza } from './header.js'
import { randomBytes } from './primitives.js'
import { NONCE, payloadKey } from './stream.js'
import type { Recipient } from './types.js'

const KEY_SIZE = 32

export interface PreparedHeader {
  /** the header, MAC line included, followed by the payload nonce: the first bytes of the file */
  prefix: Buffer
  /** the payload's ChaCha20-Poly1305 key; secret, wiped by the encryptor that uses it */
  payloadKey: Buffer
}

/**
 * A header for these recipients, to be used for exactly one file.
 * @throws {AgeError} 'bad-key' without recipients.
 */
export function prepareHeader(recipients: Recipient[]): PreparedHeader {
  if (recipients.length === 0) throw new AgeError('bad-key', 'no recipients')
  const fileKey = randomBytes(16)
  try {
    return headerForKey(
      recipients.flatMap((r) => r.wrapFileKey(fileKey)),
      fileKey,
    )
  } finally {
    fileKey.fill(0)
  }
}

/**
 * The header for stanzas already wrapping `fileKey` (a plugin wrapped it ahead), and a fresh
 * payload nonce; the caller wipes `fileKey`.
 * @throws {AgeError} 'unsupported' with more than MAX_STANZAS stanzas.
 */
export function headerForKey(stanzas: Stanza[], fileKey: Uint8Array): PreparedHeader {
  const header = writeHeader(stanzas, fileKey)
  const nonce = randomBytes(NONCE)
  return { prefix: Buffer.concat([header, nonce]), payloadKey: payloadKey(fileKey, nonce) }
}

/**
 * Packs headers into one fresh buffer for postMessage: transferred, not copied, and never a
 * view of node's shared Buffer pool (cloning a view would copy the whole pool to the other thread).
 */
export function packPrepared(items: PreparedHeader[]): { data: ArrayBuffer; sizes: number[] } {
  const sizes = items.map((i) => i.prefix.length)
  const data = new ArrayBuffer(sizes.reduce((a, b) => a + b + KEY_SIZE, 0))
  const view = Buffer.from(data)
  let at = 0
  for (const item of items) {
    at += item.prefix.copy(view, at)
    at += item.payloadKey.copy(view, at)
    item.payloadKey.fill(0)
  }
  return { data, sizes }
}

/** The inverse of {@link packPrepared}: views into `data`, no copies. */
export function unpackPrepared(data: ArrayBuffer, sizes: number[]): PreparedHeader[] {
  const view = Buffer.from(data)
  const out: PreparedHeader[] = []
  let at = 0
  for (const size of sizes) {
    if (at + size + KEY_SIZE > view.length) throw new AgeError('bad-header', 'prepared headers are truncated')
    out.push({ prefix: view.subarray(at, at + size), payloadKey: view.subarray(at + size, at + size + KEY_SIZE) })
    at += size + KEY_SIZE
  }
  return out
}
