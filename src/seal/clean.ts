/**
 * clean: what git stores for a secret file. Shared by the long-running filter and the one-shot
 * `git-seal clean`; the merge driver and rekey encrypt through {@link sealPlaintext}.
 *
 * Input is stored unchanged only when it is *proven* ciphertext (never because it looks like
 * ciphertext: a line of plaintext appended to an age file still starts with a valid header):
 * 1. An empty file is stored as the empty blob: it holds nothing to hide, and git treats a
 *    zero-size index entry whose blob is not empty as modified forever.
 * 2. Input that is complete ciphertext by structure (an age header, or a sops document whose
 *    every value and comment sops would encrypt is `ENC[...]`) and byte-identical to the path's
 *    index blob (HEAD's only when the index has none), or to a blob this clone's git-seal wrote
 *    or checked out at that path and no rekey replaced since (records.ts), is kept.
 * 3. Input this clone authenticates completely is decrypted: an age file whose every STREAM
 *    chunk opens, or a sops document whose MAC verifies. A sops document already encrypted to
 *    exactly the rule's recipients is kept (a file sops wrote is committed unchanged); otherwise
 *    its plaintext continues as plaintext below, so it is re-encrypted to the rule's recipients.
 * 4. Any other input that looks like ciphertext is not proven: it is encrypted whole, as
 *    content, so nothing readable is stored; clean warns, and records the blob as *wrapped*,
 *    which the guard refuses to commit and `status` flags. Clean does not fail here: with
 *    `filter.git-seal.required=true` a failing clean also kills `git status`, `git diff` and
 *    `git stash` on a touched file.
 * 5. Plaintext equal to what the index blob (then HEAD's) decrypts to gets that blob back (age is
 *    randomised, and without this every touched secret would look modified); otherwise it is
 *    encrypted to the secret's recipients as configured now, in the rule's format.
 * Any failure to encrypt throws, so git fails the add: plaintext is never staged.
 *
 * `worktree: ciphertext` paths (the git-seal-ct driver, or a rule saying so): the rules above
 * apply unchanged, and their work tree normally holds proven ciphertext (rule 2). Plaintext
 * written there by hand (rule 5) is still only ever stored encrypted, but the blob is recorded
 * as *from a plaintext work tree*, which the guard refuses to commit (`git-seal edit` is the way
 * to change such a secret: it puts ciphertext back in the work tree) and `status` flags. Clean
 * does not fail on it, not even on conflict markers or a document sops cannot parse: those are
 * encrypted whole, as content. No plaintext MAC is kept for these paths: the work tree
 * offers nothing to compare with, and a locked-like clone should offer no way to test guesses.
 */
import { createHash } from 'node:crypto'
import {
  DecryptStream,
  EncryptStream,
  decrypt,
  encrypt,
  encryptHybrid,
  isHybridRecipient,
  looksLikeAge,
  withoutPlugins,
  type Identity,
} from '../age/index.js'
import { UserError, warning } from '../ui.js'
import { effectiveFormat, type SecretRule } from '../config/index.js'
import { blobId, blobIdOfChunks, streamBlob } from '../git/objects.js'
import type { SealContext } from './context.js'
import type { KeyRing } from './keyring.js'
import { Spill } from './spill.js'
import { allChunks, concat, equalBytes, readHead, readRest } from './input.js'
import { configuredKeys, encryptForSops, holdsConflictMarkers } from './sops.js'
import { plaintextWorktreeHint } from './check.js'
import { isCiphertext, openStored, sopsMetadata, storedKind, unwrapDataKey, storeOf } from './stored.js'
import { SopsError, isCompleteSopsDocument, verifySopsDocument } from '../formats/sops/index.js'
import { noteCodePath } from '../code-paths.js'

function tryOpen(
  ctx: SealContext,
  path: string,
  blob: Uint8Array,
  identities: Identity[] = ctx.keys.identities(),
): Uint8Array | null {
  try {
    return openStored(path, blob, identities)
  } catch {
    // not ours to open, or damaged: it cannot prove anything about the input
    return null
  }
}

/** The hint for input that is not proven ciphertext: how to get the stored version back. */
function unprovenHint(path: string): string {
  return `'git checkout -- ${path}' puts the stored version back; to store new content, write the plaintext (with a key) or edit with 'git-seal'`
}

/**
 * Encrypts one file for the index.
 * @throws {UserError|ConfigError|AgeError|SopsError} when the file cannot be encrypted; git then fails the add.
 */
export async function cleanFile(
  ctx: SealContext,
  path: string,
  content: AsyncIterable<Uint8Array>,
): Promise<Iterable<Uint8Array>> {
  noteCodePath('clean')
  const head = await readHead(content)
  const first = concat(head.chunks, head.size)
  if (head.complete && first.length === 0) return [first]
  const ageLike = looksLikeAge(first)
  if (!head.complete && ageLike) return cleanLargeAgeInput(ctx, path, [first, ...(await readRest(head))])

  const rule = ctx.worktreeConfig.secretFor(path)
  const format = effectiveFormat(rule, path)
  const ciphertextWorktree = ctx.ciphertextDriver || rule.worktree === 'ciphertext'
  if (hasHybrid(rule) && format === 'sops') {
    throw new UserError(
      `${path}: post-quantum (age1pq1) recipients are supported for age-format files only`,
      `set 'format: age' for secret '${rule.name}', or use X25519 keys`,
    )
  }
  // Large plaintext for an age rule streams through the cipher; a sops document is parsed whole.
  if (!head.complete && format === 'age' && !hasHybrid(rule)) {
    return cleanLarge(ctx, path, allChunks(head), rule, ciphertextWorktree ? { fromPlaintextWorktree: true } : {})
  }
  const input = head.complete ? first : concat([first, ...(await readRest(head))])

  const kind = ageLike ? 'age' : storedKind(path, input)
  if (kind !== 'plaintext') {
    if (await isProven(ctx, path, input)) return [input]
    const opened = authenticate(ctx, path, input, kind, rule, format)
    if (opened.keep) return [input]
    if (opened.plaintext) return sealPlaintext(ctx, path, rule, opened.plaintext, { sopsSource: opened.sopsSource })
    return wrapUnproven(ctx, path, input, rule, format, opened.why)
  }
  if (ciphertextWorktree) return sealPlaintextWorktree(ctx, path, rule, format, input)
  if (holdsConflictMarkers(input)) {
    throw new UserError(`${path}: still holds conflict markers`, `resolve the conflict, then 'git add -- ${path}'`)
  }
  return sealPlaintext(ctx, path, rule, input)
}

/** The warning clean gives for plaintext in the work tree of a `worktree: ciphertext` secret. */
function plaintextWorktreeWarning(path: string): string {
  return `${path}: holds plaintext, but its work tree is to hold ciphertext (worktree: ciphertext): stored encrypted, and the commit guard refuses a change made this way`
}

/**
 * Plaintext in the work tree of a `worktree: ciphertext` secret: stored encrypted like any
 * plaintext, recorded so the guard refuses to commit it; never a failure (markers, or text sops
 * cannot parse, are encrypted whole as content). The stored blob comes back when the plaintext
 * is unchanged: nothing new would be committed. Plaintext git already stores at the path is
 * encrypted without that record: storing it encrypted is how such a secret gets fixed.
 */
async function sealPlaintextWorktree(
  ctx: SealContext,
  path: string,
  rule: SecretRule,
  format: 'age' | 'sops',
  input: Uint8Array,
): Promise<Uint8Array[]> {
  // The very plaintext git stores at this path (committed before its rule, or by a clone
  // without git-seal): encrypting it is the fix, not a change written by hand.
  const oid = blobId(input, ctx.paths.objectFormat)
  if ((await ctx.stored.storedVersionOids(path)).includes(oid)) return sealPlaintext(ctx, path, rule, input)
  warning(plaintextWorktreeWarning(path), plaintextWorktreeHint(path))
  if (!holdsConflictMarkers(input)) {
    try {
      return await sealPlaintext(ctx, path, rule, input, { fromPlaintextWorktree: true })
    } catch (e) {
      // Only what sops cannot parse is kept whole; anything else (a recipient that does not
      // parse, a key that cannot open the document) fails as it would for any secret.
      if (!(e instanceof SopsError)) throw e
    }
  }
  const out =
    format === 'sops'
      ? encryptForSops(ctx.keys, path, input, rule, null, { store: 'binary' })
      : await encryptAge(ctx.keys, rule, input)
  ctx.stored.records.add(
    {
      blob: blobId(out, ctx.paths.objectFormat),
      format,
      recipients: configuredKeys(rule, format),
      path,
      plaintextWorktree: true,
    },
    true,
  )
  return [out]
}

/** Rule 2: complete ciphertext byte-identical to the index blob (else HEAD's), or proven by this clone's records. */
async function isProven(ctx: SealContext, path: string, input: Uint8Array): Promise<boolean> {
  const oid = blobId(input, ctx.paths.objectFormat)
  const identical = (await ctx.stored.indexOrHeadOid(path)) === oid || ctx.stored.records.isProvenAt(oid, path)
  return identical && isCiphertext(path, input)
}

interface Authenticated {
  /** keep the input as it is (a sops document for exactly the rule's recipients) */
  keep?: boolean
  /** the authenticated plaintext, to be encrypted to the rule's recipients */
  plaintext?: Uint8Array
  /** the sops document it came from, whose data key may be reused */
  sopsSource?: Uint8Array
  /** why it is not proven, for the warning */
  why: string
}

/** Rule 3: what this clone's identities can prove about ciphertext-looking input. */
function authenticate(
  ctx: SealContext,
  path: string,
  input: Uint8Array,
  kind: 'age' | 'sops',
  rule: SecretRule,
  format: 'age' | 'sops',
): Authenticated {
  const identities = ctx.keys.identities()
  if (identities.length === 0) return { why: 'no age identity here to authenticate it' }
  if (kind === 'age') {
    try {
      return { plaintext: decrypt(input, identities), why: '' }
    } catch (e) {
      return { why: `it does not decrypt (${(e as Error).message})` }
    }
  }
  const metadata = sopsMetadata(path, input)
  const dataKey = metadata ? unwrapDataKey(metadata, identities) : null
  if (!metadata || !dataKey) return { why: 'none of your age identities opens its data key' }
  try {
    const store = storeOf(path, input)
    if (!isCompleteSopsDocument(input, store)) {
      // Values or comments added by hand to a sops document this clone can open: encryptForSops
      // encrypts them with the document's own data key (its ciphertexts must still decrypt).
      return { plaintext: input, why: '' }
    }
    // The proof: every value and comment sops would encrypt is ENC[...] and opens, and the MAC verifies.
    const plaintext = verifySopsDocument(input, store, dataKey)
    const recorded = new Set(metadata.age.map((e) => e.recipient))
    const wanted = configuredKeys(rule, 'sops')
    const sameRecipients = recorded.size === wanted.length && wanted.every((k) => recorded.has(k))
    const oid = blobId(input, ctx.paths.objectFormat)
    if (format === 'sops' && sameRecipients && !ctx.stored.records.isReplacedAt(oid, path))
      return { keep: true, why: '' }
    return { plaintext, sopsSource: input, why: '' }
  } catch (e) {
    return { why: `it does not verify (${(e as Error).message})` }
  } finally {
    dataKey.fill(0)
  }
}

/** Rule 4: encrypt not-proven input whole, as content; warn; record it as wrapped. */
async function wrapUnproven(
  ctx: SealContext,
  path: string,
  input: Uint8Array,
  rule: SecretRule,
  format: 'age' | 'sops',
  why: string,
): Promise<Uint8Array[]> {
  // The same bytes added again keep the wrapped blob they got (plaintext MACs hold it).
  for (const { oid, content } of await ctx.stored.storedVersions(path)) {
    if (oid && ctx.stored.plaintextMacs.matches(oid, input)) return [content]
  }
  warning(
    `${path}: looks like ciphertext but is not the ciphertext git stores for it (${why}); encrypted whole as content, and the commit guard will refuse it`,
    unprovenHint(path),
  )
  const out =
    format === 'sops'
      ? encryptForSops(ctx.keys, path, input, rule, null, { store: 'binary' })
      : await encryptAge(ctx.keys, rule, input)
  const blob = blobId(out, ctx.paths.objectFormat)
  ctx.stored.records.add({ blob, format, recipients: configuredKeys(rule, format), path, wrapped: true }, true)
  if (!ctx.keepsCiphertext(path)) recordMacLater(ctx, blob, input)
  return [out]
}

/**
 * Records that `blob` decrypts to `plaintext` once git has the answer (ctx.later). The MAC is
 * made now: callers (the merge driver, edit, the git-crypt import) wipe their plaintext as soon
 * as clean returns, and a MAC of wiped bytes would later prove a change that is not there.
 */
function recordMacLater(ctx: SealContext, blob: string, plaintext: Uint8Array): void {
  const mac = ctx.stored.plaintextMacs.of(plaintext, true)
  if (mac !== null) ctx.later(() => ctx.stored.plaintextMacs.record(blob, { mac }))
}

/**
 * Plaintext to ciphertext for a path (rule 5): the stored blob again when it decrypts to the
 * same plaintext, else a new encryption to the rule's recipients, recorded as written by this
 * clone. `sopsSource` is a sops document the plaintext came from (its data key may be reused).
 * @throws {UserError|AgeError|SopsError} when it cannot be encrypted.
 */
export async function sealPlaintext(
  ctx: SealContext,
  path: string,
  rule: SecretRule,
  input: Uint8Array,
  options: { sopsSource?: Uint8Array | undefined; fromPlaintextWorktree?: boolean } = {},
): Promise<Uint8Array[]> {
  const format = effectiveFormat(rule, path)
  const keepMacs = !ctx.keepsCiphertext(path)
  // Index first, then HEAD: after a rekey the index blob is the one to keep. A plaintext MAC
  // answers without a key, so even a file this clone cannot decrypt (a secret for targets only)
  // stays unmodified after a touch once it was encrypted here. Only blobs that are ciphertext
  // ever get a MAC (git-seal wrote them, or decrypted them), so a match never hands git
  // a plaintext blob.
  const previous: { content: Uint8Array; kind: 'age' | 'sops' }[] = []
  for (const { oid, read } of await ctx.stored.storedVersionsOnDemand(path)) {
    // Comparing with a stored version runs code a first add of a new file does not (code-paths.ts).
    noteCodePath('stored')
    const verdict = oid ? ctx.stored.plaintextMacs.compare(oid, input) : 'unknown'
    // A checked MAC that differs proves the plaintext changed (plaintext-macs.ts): an age rule
    // learns nothing more from this version, so it is neither read nor decrypted (an edited
    // secret's `git add` needs no key and no zlib then). A sops rule still reads it, for its data key.
    if (verdict === 'changed' && format === 'age') continue
    const content = await read()
    if (content === null) continue
    if (verdict === 'same') return [content]
    const kind = storedKind(path, content)
    if (kind === 'plaintext') continue
    previous.push({ content, kind })
    if (verdict === 'changed') continue
    if (ctx.keys.identities().length === 0 || (oid && ctx.stored.records.isWrapped(oid))) continue
    // A recorded MAC without a valid check that did not match (an earlier version's line, or a
    // damaged one) says the plaintext likely changed. Software keys still check (a damaged MAC
    // must not make a file look modified); a plugin key is not asked (a touch on every
    // `git status` of an edited secret).
    const opened = tryOpen(
      ctx,
      path,
      content,
      oid && ctx.stored.plaintextMacs.knows(oid) ? withoutPlugins(ctx.keys.identities()) : ctx.keys.identities(),
    )
    if (opened && equalBytes(opened, input)) {
      if (oid && keepMacs) recordMacLater(ctx, oid, input)
      return [content]
    }
    // Decrypted and different: its MAC, recorded (with its check), proves that without decrypting next time.
    if (opened && oid && keepMacs) recordMacLater(ctx, oid, opened)
  }
  let out: Uint8Array
  if (format === 'sops') {
    const lastSops = options.sopsSource ?? previous.find((b) => b.kind === 'sops')?.content ?? null
    out = encryptForSops(ctx.keys, path, input, rule, lastSops)
  } else {
    out = await encryptAge(ctx.keys, rule, input)
  }
  const blob = blobId(out, ctx.paths.objectFormat)
  const record = {
    blob,
    format,
    recipients: configuredKeys(rule, format),
    path,
    ...(options.fromPlaintextWorktree ? { plaintextWorktree: true } : {}),
  }
  // The guard asks about sops blobs (`git add -p` can stage a document whose MAC no longer
  // verifies) and blobs from a plaintext work tree, possibly while this filter still runs
  // (`commit -a`): record those before answering.
  const guardAsks = format === 'sops' || options.fromPlaintextWorktree === true
  if (guardAsks) ctx.stored.records.add(record, true)
  if (!guardAsks) ctx.later(() => ctx.stored.records.add(record))
  if (keepMacs) recordMacLater(ctx, blob, input)
  return [out]
}

/** True when a rule names post-quantum hybrid recipients (age-format only, never streamed). */
function hasHybrid(rule: SecretRule): boolean {
  return rule.recipients.some((r) => isHybridRecipient(r.key))
}

/** An age file for a rule's recipients, post-quantum hybrid ones included. */
export async function encryptAge(
  keys: Pick<KeyRing, 'headerFor' | 'recipientsFor'>,
  rule: SecretRule,
  plaintext: Uint8Array,
): Promise<Uint8Array> {
  noteCodePath('age')
  const hybrid = rule.recipients.filter((r) => isHybridRecipient(r.key)).map((r) => r.key)
  if (hybrid.length > 0) return encryptHybrid(plaintext, hybrid, keys.recipientsFor(rule))
  return encrypt(plaintext, keys.headerFor(rule))
}

/**
 * Large input that starts like an age file: kept when proven (rule 2), re-encrypted when this
 * clone decrypts it (rule 3), else encrypted whole as content (rule 4). Rare (a locked clone's
 * large secret, or an age file put there by hand), so it holds input and output in memory.
 */
async function cleanLargeAgeInput(ctx: SealContext, path: string, chunks: Uint8Array[]): Promise<Iterable<Uint8Array>> {
  const oid = blobIdOfChunks(chunks, ctx.paths.objectFormat)
  // A well-formed header is all the structure an age file has: looksLikeAge held for the head.
  if ((await ctx.stored.indexOrHeadOid(path)) === oid || ctx.stored.records.isProvenAt(oid, path)) return chunks
  const rule = ctx.worktreeConfig.secretFor(path)
  const format = effectiveFormat(rule, path)
  let why = 'no age identity here to authenticate it'
  if (ctx.keys.identities().length > 0) {
    try {
      const plaintext = decrypt(concat(chunks), ctx.keys.identities())
      chunks.length = 0
      if (format === 'age' && !hasHybrid(rule)) return await cleanLarge(ctx, path, [plaintext], rule)
      return await sealPlaintext(ctx, path, rule, plaintext)
    } catch (e) {
      why = `it does not decrypt (${(e as Error).message})`
    }
  }
  if (format === 'sops' || hasHybrid(rule)) return wrapUnproven(ctx, path, concat(chunks), rule, format, why)
  warning(
    `${path}: looks like ciphertext but is not the ciphertext git stores for it (${why}); encrypted whole as content, and the commit guard will refuse it`,
    unprovenHint(path),
  )
  return cleanLarge(ctx, path, chunks, rule, { wrapped: true })
}

/**
 * A digest of plaintext for comparing a large file with a stored one: its MAC when this
 * clone can keep them (then it also answers for blobs given a MAC earlier), else SHA-256.
 */
function plaintextDigest(
  ctx: SealContext,
  keepMacs = true,
): { update(piece: Uint8Array): void; digest(): string; isMac: boolean } {
  const hasher = keepMacs ? ctx.stored.plaintextMacs.hasher(true) : null
  if (hasher) return { ...hasher, isMac: true }
  const sha = createHash('sha256')
  return { update: (piece) => void sha.update(piece), digest: () => sha.digest('base64'), isMac: false }
}

/**
 * Large plaintext for an age rule: encrypted as it arrives into a {@link Spill}, which holds
 * the ciphertext in memory up to a threshold and in a file beyond it, so memory stays bounded
 * whatever the size; the answer is read back from it as it is sent. `wrapped`: the plaintext is
 * not-proven ciphertext kept as content (rule 4); `fromPlaintextWorktree`: it was written into a
 * `worktree: ciphertext` secret's work tree.
 */
async function cleanLarge(
  ctx: SealContext,
  path: string,
  plaintext: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  rule: SecretRule,
  options: { wrapped?: boolean; fromPlaintextWorktree?: boolean } = {},
): Promise<Iterable<Uint8Array>> {
  if (options.fromPlaintextWorktree) warning(plaintextWorktreeWarning(path), plaintextWorktreeHint(path))
  const stream = new EncryptStream(ctx.keys.headerFor(rule))
  const keepMacs = !ctx.keepsCiphertext(path)
  const digest = plaintextDigest(ctx, keepMacs)
  let out = new Spill(ctx.state.create())
  try {
    for await (const chunk of plaintext) {
      digest.update(chunk)
      for (const part of stream.updateParts(chunk)) out.write(part)
    }
    for (const part of stream.finalParts()) out.write(part)
    const digested = digest.digest()
    const mac = digest.isMac ? { mac: digested } : null
    for (const oid of await ctx.stored.storedVersionOids(path)) {
      if (ctx.stored.records.isWrapped(oid) !== (options.wrapped === true)) continue
      const unchanged =
        (mac && ctx.stored.plaintextMacs.matches(oid, mac)) ||
        (!options.wrapped &&
          ctx.keys.identities().length > 0 &&
          (await streamedPlaintextDigest(ctx, oid, keepMacs)) === digested)
      if (!unchanged) continue
      // Unchanged: the old blob goes back instead, held the same way. Drop our ciphertext first.
      out.dispose()
      out = new Spill(ctx.state.create())
      const old = out
      if (await streamBlob(ctx.root, ctx.env, oid, (data) => old.write(data))) {
        if (mac) ctx.stored.plaintextMacs.record(oid, mac)
        return out.answer()
      }
      throw new Error(`${path}: cannot read blob ${oid} back`)
    }
    const blob = out.blobId(ctx.paths.objectFormat)
    const flags = {
      ...(options.wrapped ? { wrapped: true } : {}),
      ...(options.fromPlaintextWorktree ? { plaintextWorktree: true } : {}),
    }
    ctx.stored.records.add(
      { blob, format: 'age', recipients: configuredKeys(rule, 'age'), path, ...flags },
      Object.keys(flags).length > 0,
    )
    if (mac) ctx.stored.plaintextMacs.record(blob, mac)
    return out.answer()
  } catch (e) {
    out.dispose()
    throw e
  }
}

/**
 * The {@link plaintextDigest} of what a stored age blob decrypts to, streamed chunk by chunk (a
 * large blob is never held whole); null when it is not an age file we can open.
 */
async function streamedPlaintextDigest(ctx: SealContext, oid: string, keepMacs: boolean): Promise<string | null> {
  const stream = new DecryptStream(ctx.keys.identities())
  const digest = plaintextDigest(ctx, keepMacs)
  const onData = (data: Buffer): void => {
    for (const piece of stream.updateParts(data)) digest.update(piece)
  }
  if (!(await streamBlob(ctx.root, ctx.env, oid, onData))) return null
  try {
    digest.update(stream.final())
    return digest.digest()
  } catch {
    return null
  }
}
