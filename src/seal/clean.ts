/**
 * clean: what git stores for a secret file. Shared by the long-running filter, the one-shot
 * `git-seal clean`, the merge driver and rekey.
 *
 * Rules, in order:
 * 1. Input that already is ciphertext (a well-formed age header) passes through unchanged: no key
 *    needed, so keyless clones and damaged blobs stay exactly as they are.
 * 2. Plaintext equal to what the index blob (then HEAD's) decrypts to gets that blob's bytes
 *    again: age is randomised, and without this every touched secret would look modified.
 * 3. Otherwise encrypt to the secret's recipients as configured now.
 * Any failure throws, so git fails the add: plaintext is never staged.
 */
import { createHash } from 'node:crypto'
import { DecryptStream, EncryptStream, decrypt, encrypt, looksLikeAge } from '../age/index.js'
import { blobId } from '../git/objects.js'
import type { SealContext } from './context.js'
import { allChunks, concat, equalBytes, readHead, readRest } from './input.js'

/** Blobs that may hold the previous version of `path`: the index, then HEAD. */
async function previousBlobs(ctx: SealContext, path: string): Promise<Uint8Array[]> {
  const found: Uint8Array[] = []
  const seen = new Set<string>()
  for (const spec of [`:${path}`, `HEAD:${path}`]) {
    const object = await ctx.objects.get(spec)
    if (!object || object.type !== 'blob' || seen.has(object.oid)) continue
    seen.add(object.oid)
    if (looksLikeAge(object.content)) found.push(object.content)
  }
  return found
}

function tryDecrypt(ctx: SealContext, blob: Uint8Array): Uint8Array | null {
  try {
    return decrypt(blob, ctx.identities())
  } catch {
    return null
  }
}

function record(ctx: SealContext, ciphertext: Uint8Array, keys: string[]): void {
  ctx.records.add({ blob: blobId(ciphertext), format: 'age', recipients: keys })
}

/**
 * Encrypts one file for the index.
 * @throws {UserError|ConfigError|AgeError} when the file cannot be encrypted; git then fails the add.
 */
export async function cleanFile(ctx: SealContext, path: string, content: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const head = await readHead(content)
  const first = concat(head.chunks, head.size)
  if (looksLikeAge(first)) return [first, ...(await readRest(head))]

  const rule = ctx.secretFor(path)
  const recipients = ctx.recipientsFor(rule)
  const keys = rule.recipients.map((r) => r.key)
  if (head.complete) {
    const hasKey = ctx.identities().length > 0
    if (hasKey) {
      for (const blob of await previousBlobs(ctx, path)) {
        const previous = tryDecrypt(ctx, blob)
        if (previous && equalBytes(previous, first)) return [blob]
      }
    }
    const out = encrypt(first, recipients)
    record(ctx, out, keys)
    return [out]
  }

  // Large file: encrypt as it arrives, so memory holds the ciphertext and not both copies.
  const stream = new EncryptStream(recipients)
  const digest = createHash('sha256')
  const out: Uint8Array[] = []
  for await (const chunk of allChunks(head)) {
    digest.update(chunk)
    const piece = stream.update(chunk)
    if (piece.length > 0) out.push(piece)
  }
  out.push(stream.final())
  const hash = digest.digest()
  if (ctx.identities().length > 0) {
    for (const blob of await previousBlobs(ctx, path)) {
      if (equalBytes(plaintextHash(ctx, blob) ?? Buffer.alloc(0), hash)) return [blob]
    }
  }
  const whole = concat(out)
  record(ctx, whole, keys)
  return [whole]
}


/** SHA-256 of what an age blob decrypts to, computed chunk by chunk; null when it does not. */
function plaintextHash(ctx: SealContext, blob: Uint8Array): Buffer | null {
  try {
    const stream = new DecryptStream(ctx.identities())
    const digest = createHash('sha256')
    for (let offset = 0; offset < blob.length; offset += 1 << 20) {
      digest.update(stream.update(blob.subarray(offset, offset + (1 << 20))))
    }
    digest.update(stream.final())
    return digest.digest()
  } catch {
    return null
  }
}
