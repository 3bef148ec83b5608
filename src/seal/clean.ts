/**
 * clean: what git stores for a secret file. Shared by the long-running filter, the one-shot
 * `git-seal clean`, the merge driver and rekey.
 *
 * Rules, in order:
 * 1. Input that already is ciphertext (a well-formed age header, or a complete sops document)
 *    passes through unchanged: no key needed, so keyless clones and damaged blobs stay as they are.
 * 2. Plaintext equal to what the index blob (then HEAD's) decrypts to gets that blob's bytes
 *    again, whatever its format and whatever the config says now: age is randomised, and
 *    without this every touched secret would look modified. Recipient and format changes reach
 *    unchanged files only through `rekey`.
 * 3. Otherwise encrypt to the secret's recipients as configured now, in the rule's format.
 * Any failure throws, so git fails the add: plaintext is never staged.
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { DecryptStream, EncryptStream, encrypt, encryptHybrid, isHybridRecipient, looksLikeAge } from '../age/index.js'
import { UserError } from '../ui.js'
import { effectiveFormat, type SecretRule } from '../config/index.js'
import { blobId, blobIdOfChunks } from '../git/objects.js'
import type { SealContext } from './context.js'
import { allChunks, concat, equalBytes, readHead, readRest } from './input.js'
import { configuredKeys, encryptForSops } from './sops.js'
import { isCiphertext, openStored, storedKind } from './stored.js'

function tryOpen(ctx: SealContext, path: string, blob: Uint8Array): Uint8Array | null {
  try {
    return openStored(path, blob, ctx.identities())
  } catch {
    return null
  }
}

/**
 * Encrypts one file for the index.
 * @throws {UserError|ConfigError|AgeError|SopsError} when the file cannot be encrypted; git then fails the add.
 */
export async function cleanFile(ctx: SealContext, path: string, content: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const head = await readHead(content)
  const first = concat(head.chunks, head.size)
  if (looksLikeAge(first)) return [first, ...(await readRest(head))]
  if (head.complete && isCiphertext(path, first)) return [first]

  const rule = ctx.secretFor(path)
  const format = effectiveFormat(rule, path)
  const hybrid = rule.recipients.filter((r) => isHybridRecipient(r.key)).map((r) => r.key)
  if (hybrid.length > 0 && format === 'sops') {
    throw new UserError(`${path}: post-quantum (age1pq1) recipients are supported for age-format files only`, `set 'format: age' for secret '${rule.name}', or use X25519 keys`)
  }
  if (!head.complete && format === 'age' && hybrid.length === 0) return cleanLarge(ctx, path, head, rule)
  const input = head.complete ? first : concat([first, ...(await readRest(head))])

  // Index first, then HEAD: after a rekey the index blob is the one to keep. A fingerprint
  // answers without a key, so even a file this clone cannot decrypt (a secret for targets only)
  // stays unmodified after a touch once it was encrypted here. Only blobs that are ciphertext
  // ever get a fingerprint (git-seal wrote them, or decrypted them), so a match never hands git
  // a plaintext blob.
  const previous: { content: Uint8Array; kind: 'age' | 'sops' }[] = []
  for (const { oid, content } of await ctx.storedVersions(path)) {
    if (oid && ctx.fingerprints.matches(oid, input)) return [content]
    const kind = storedKind(path, content)
    if (kind === 'plaintext') continue
    previous.push({ content, kind })
    if (ctx.identities().length === 0) continue
    const opened = tryOpen(ctx, path, content)
    if (opened && equalBytes(opened, input)) {
      if (oid) ctx.later(() => ctx.fingerprints.record(oid, input))
      return [content]
    }
  }
  let out: Uint8Array
  if (format === 'sops') {
    const lastSops = previous.find((b) => b.kind === 'sops')?.content ?? null
    out = encryptForSops(ctx, path, input, rule, lastSops)
  } else {
    out = await encryptAge(ctx, rule, input)
  }
  const encrypted = out
  ctx.later(() => {
    const blob = blobId(encrypted, ctx.paths.objectFormat)
    ctx.records.add({ blob, format, recipients: configuredKeys(rule, format) })
    ctx.fingerprints.record(blob, input)
  })
  return [out]
}

/** An age file for a rule's recipients, post-quantum hybrid ones included. */
export async function encryptAge(ctx: SealContext, rule: SecretRule, plaintext: Uint8Array): Promise<Uint8Array> {
  const hybrid = rule.recipients.filter((r) => isHybridRecipient(r.key)).map((r) => r.key)
  if (hybrid.length > 0) return encryptHybrid(plaintext, hybrid, ctx.recipientsFor(rule))
  return encrypt(plaintext, ctx.headerFor(rule))
}

/**
 * A digest of plaintext for comparing a large file with a stored one: its fingerprint when this
 * clone can keep them (then it also answers for blobs fingerprinted earlier), else SHA-256.
 */
function plaintextDigest(ctx: SealContext): { update(piece: Uint8Array): void; digest(): string; fingerprint: boolean } {
  const hasher = ctx.fingerprints.hasher(true)
  if (hasher) return { ...hasher, fingerprint: true }
  const sha = createHash('sha256')
  return { update: (piece) => void sha.update(piece), digest: () => sha.digest('base64'), fingerprint: false }
}

/** Large age files: encrypt as they arrive, so memory holds the ciphertext and not both copies. */
async function cleanLarge(ctx: SealContext, path: string, head: Awaited<ReturnType<typeof readHead>>, rule: ReturnType<SealContext['secretFor']>): Promise<Uint8Array[]> {
  const stream = new EncryptStream(ctx.headerFor(rule))
  const digest = plaintextDigest(ctx)
  const out: Uint8Array[] = []
  for await (const chunk of allChunks(head)) {
    digest.update(chunk)
    out.push(...stream.updateParts(chunk))
  }
  out.push(...stream.finalParts())
  const plaintext = digest.digest()
  const fingerprint = digest.fingerprint ? { fingerprint: plaintext } : null
  for (const oid of await ctx.storedVersionOids(path)) {
    const unchanged = (fingerprint && ctx.fingerprints.matches(oid, fingerprint)) || (ctx.identities().length > 0 && (await streamedPlaintextDigest(ctx, oid)) === plaintext)
    if (!unchanged) continue
    // Unchanged: the old blob goes back instead. Drop our ciphertext before reading it, so
    // the two are never in memory together.
    out.length = 0
    const pieces: Uint8Array[] = []
    if (await streamBlob(ctx, oid, (data) => pieces.push(data))) {
      if (fingerprint) ctx.fingerprints.record(oid, fingerprint)
      return pieces
    }
    throw new Error(`${path}: cannot read blob ${oid} back`)
  }
  // The chunks go out as they are: joining them would hold a second copy of a large file.
  const blob = blobIdOfChunks(out, ctx.paths.objectFormat)
  ctx.records.add({ blob, format: 'age', recipients: configuredKeys(rule, 'age') })
  if (fingerprint) ctx.fingerprints.record(blob, fingerprint)
  return out
}

/** Streams a blob from `git cat-file` to `onData`; false when git fails or onData throws. */
function streamBlob(ctx: SealContext, oid: string, onData: (data: Buffer) => void): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('git', ['cat-file', 'blob', oid], { cwd: ctx.root, env: ctx.env, stdio: ['ignore', 'pipe', 'ignore'] })
    let failed = false
    child.stdout.on('data', (data: Buffer) => {
      if (failed) return
      try {
        onData(data)
      } catch {
        failed = true
        child.kill()
      }
    })
    child.on('error', () => resolve(false))
    child.on('close', (code) => resolve(!failed && code === 0))
  })
}

/**
 * The {@link plaintextDigest} of what a stored age blob decrypts to, streamed chunk by chunk (a
 * large blob is never held whole); null when it is not an age file we can open.
 */
async function streamedPlaintextDigest(ctx: SealContext, oid: string): Promise<string | null> {
  const stream = new DecryptStream(ctx.identities())
  const digest = plaintextDigest(ctx)
  if (!(await streamBlob(ctx, oid, (data) => stream.updateParts(data).forEach((piece) => digest.update(piece))))) return null
  try {
    digest.update(stream.final())
    return digest.digest()
  } catch {
    return null
  }
}
