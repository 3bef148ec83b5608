/**
 * smudge: what the work tree gets for a stored secret. Never breaks a checkout: when the blob
 * cannot be decrypted (no matching key, damaged, not ciphertext at all) its bytes are written
 * unchanged and the file is named on stderr. A `worktree: ciphertext` secret (the git-seal-ct
 * driver, or a rule saying so) always gets its stored bytes, like a locked clone: tools that
 * copy the work tree (Nix into /nix/store, `git archive`) then copy ciphertext.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { AgeError, DecryptStream, hasPluginIdentity, looksLikeAge } from '../age/index.js'
import { SopsError } from '../formats/sops/index.js'
import { NoSopsKeyError, openStored, storedKind } from './stored.js'
import { NO_KEY_HINT, type SealContext } from './context.js'
import { allChunks, concat, readHead, readRest, type FileHead } from './input.js'
import { blobId, blobIdOfChunks } from '../git/objects.js'
import { objectSize } from '../git/object-size.js'
import { stateDir } from '../git/repo.js'
import { Spill } from './spill.js'
import { debug } from '../ui.js'
import { noteCodePath, noteV8FlagsChanged } from '../code-paths.js'

function why(e: unknown): { reason: string; hint?: string; notForYou?: true } {
  if ((e instanceof AgeError && e.code === 'no-identity') || e instanceof NoSopsKeyError)
    return { reason: 'none of your age identities can decrypt it', notForYou: true }
  if (e instanceof SopsError)
    return {
      reason: `damaged sops file (${e.message})`,
      hint: 'the blob in git is damaged or was tampered with; restore it from another commit',
    }
  if (e instanceof AgeError)
    return {
      reason: `damaged ciphertext (${e.message})`,
      hint: 'the blob in git is damaged; restore it from another commit or re-add the plaintext',
    }
  return { reason: (e as Error).message }
}

/**
 * Decrypts one stored blob for the work tree.
 * @param blobOid the blob's id when git sent it (else it is computed when needed).
 * Never throws for bad content; throws only when git's stream itself fails.
 */
export async function smudgeFile(
  ctx: SealContext,
  path: string,
  content: AsyncIterable<Uint8Array>,
  blobOid?: string,
): Promise<Iterable<Uint8Array>> {
  noteCodePath('smudge')
  const head = await readHead(content)
  let first = concat(head.chunks, head.size)
  const isAge = looksLikeAge(first)
  if (head.complete && first.length === 0) return [first] // an empty secret is stored empty (clean.ts)
  if (!isAge && !head.complete) {
    // Not an age file: a sops document (parsed whole, whatever its size) or plaintext.
    first = concat([first, ...(await readRest(head))])
    head.complete = true
  }
  /** Kept as stored: the work tree holds this blob's bytes, which clean may then keep as proven. */
  const keep = async (): Promise<Iterable<Uint8Array>> => {
    if (!head.complete) return keepLarge(ctx, path, head, blobOid)
    ctx.stored.records.checkedOut(blobOid ?? blobIdOfChunks([first], ctx.paths.objectFormat), path)
    return [first]
  }
  if (ctx.locked) return keep()
  if (!isAge && storedKind(path, first) === 'plaintext') {
    // Not ciphertext: committed before its rule existed, or from a clone without git-seal.
    ctx.report.keptAsStored(
      path,
      'stored in git without encryption',
      "'git add' those files and commit to store them encrypted (their history still holds the plaintext: rotate them)",
    )
    return [first, ...(await readRest(head))]
  }
  // `worktree: ciphertext`: the stored bytes are what the work tree is to hold, key or not;
  // nothing is decrypted, so no fingerprint is recorded either.
  if (ctx.keepsCiphertext(path)) return keep()
  if (ctx.keys.identities().length === 0) {
    ctx.report.keptWithoutKey(path, NO_KEY_HINT)
    return keep()
  }
  if (head.complete) {
    try {
      const plaintext = openStored(path, first, ctx.keys.identities())
      ctx.later(() => ctx.stored.plaintextMacs.record(blobOid ?? blobId(first, ctx.paths.objectFormat), plaintext))
      return [plaintext]
    } catch (e) {
      const { reason, hint, notForYou } = why(e)
      // With a plugin key here, "no identity opened it" may be a refused PIN or a missing
      // terminal: name the file instead of counting it as not encrypted to you.
      if (notForYou && !hasPluginIdentity(ctx.keys.identities())) ctx.report.keptNotForYou(path)
      else ctx.report.keptAsStored(path, reason, hint)
      return keep()
    }
  }
  return smudgeLarge(ctx, path, head, blobOid)
}

/**
 * The largest blob whose plaintext a large smudge holds in memory while it authenticates it
 * (GIT_SEAL_SMUDGE_BUDGET: tests). Held, the blob is decrypted once: the plaintext is kept as
 * each chunk is authenticated, and sent once the last one is. Larger (or of unknown size), the
 * spilled ciphertext is decrypted a second time on the way out, as before. The plaintext is
 * never larger than the blob, so this bounds what is held. 65 MiB, because:
 * - a 64 MiB secret (issue 16's target 5: its blob is 64 MiB and ~16 KiB of tags and header)
 *   then fits;
 * - the filter's peak RSS whatever the size (target 6: <= 160 MiB) stays bounded: a held
 *   64 MiB secret measured 140-144 MiB (51 MiB of Node and code, the plaintext, and the 1 MiB
 *   buffers git's stream arrives in until they are collected); larger blobs are never held
 *   (105-116 MiB measured). Deciding by the size known up front, not by dropping what was
 *   held when it grows past the budget: dropped plaintext stays in the allocator's hands, and
 *   the second pass then piled up on it (152-170 MiB measured for 256 MiB).
 * - The buffers git's stream arrives in are collected every {@link COLLECT_EVERY} while
 *   plaintext is held: left to V8 they grow to ~60 MiB before a collection (its trigger for
 *   memory outside the JS heap), which put a held 64 MiB secret at ~175 MiB. So a blob is held
 *   only where V8's collector can be called ({@link collector}).
 * Never plaintext on disk either way: only ciphertext is ever spilled, and a held blob's not at
 * all (a late failure answers with the stored blob, read back from git: answerStored).
 */
export const SMUDGE_HOLD_LIMIT = 65 << 20
/** Input between two minor collections while plaintext is held (one costs about 1 ms). */
const COLLECT_EVERY = 8 << 20

type Collector = (options: { type: 'minor' | 'major' }) => void
let collectorFn: Collector | null | undefined

/**
 * V8's collector, made callable the first time a large smudge holds plaintext: not with
 * --expose-gc on the command line, which changes V8's flags for the whole start and so made
 * Node compile its built-in modules without their code cache (3-4x slower to load, measured),
 * but by setting the flag now and taking `gc` from a new context, where V8 installs it. A
 * process that set it writes a code cache (code-cache.ts) V8 rejects at the next start (the
 * flags differ), which then compiles and writes it again: once, after a large checkout.
 * Null when that fails (then blobs are not held).
 */
function collector(): Collector | null {
  if (collectorFn !== undefined) return collectorFn
  const exposed = (globalThis as { gc?: unknown }).gc
  if (typeof exposed === 'function') {
    collectorFn = exposed as Collector
    return collectorFn
  }
  try {
    setFlagsFromString('--expose-gc')
    noteV8FlagsChanged()
    const gc: unknown = runInNewContext('gc')
    collectorFn = typeof gc === 'function' ? (gc as Collector) : null
  } catch {
    // A Node that refuses the flag at run time: no plaintext held, the two passes.
    collectorFn = null
  }
  return collectorFn
}

function holdLimit(): number {
  const override = Number(process.env['GIT_SEAL_SMUDGE_BUDGET'])
  return Number.isInteger(override) && override >= 0 ? override : SMUDGE_HOLD_LIMIT
}

/**
 * Whether to hold the plaintext of blob `blobOid` past the spill: its size is known and within
 * {@link holdLimit}, and garbage can be collected as it goes.
 */
function holdsPlaintext(ctx: SealContext, blobOid: string | undefined): boolean {
  if (blobOid === undefined) return false
  const size = objectSize(blobOid, { cwd: ctx.root, env: ctx.env })
  return size !== null && size <= holdLimit() && collector() !== null
}

/**
 * A large age file: the ciphertext is held as it arrives (a {@link Spill}: memory up to a
 * threshold, a file beyond it) while every chunk is authenticated; only then is plaintext sent.
 * The plaintext of the chunks authenticated is kept in memory while the ciphertext is, and past
 * the spill for blobs within {@link SMUDGE_HOLD_LIMIT} (one decryption); otherwise it is
 * decrypted again as it goes out from the spilled ciphertext (plaintext is never written to disk). Once plaintext is sent, a damaged later
 * chunk could only fail the checkout; found first, the work tree gets the ciphertext, like any
 * blob that does not decrypt.
 */
async function smudgeLarge(
  ctx: SealContext,
  path: string,
  head: FileHead,
  blobOid: string | undefined,
): Promise<Iterable<Uint8Array>> {
  const held = new Spill(stateDir(ctx.paths, true))
  try {
    const check = new DecryptStream(ctx.keys.identities())
    const fingerprint = blobOid ? ctx.stored.plaintextMacs.hasher(true) : null
    // The plaintext is held while the ciphertext is in memory (below the spill threshold, so
    // no larger than it), and past it only when the blob is within the hold limit: asked
    // once, when the ciphertext would spill (smaller blobs never start a process for it).
    let plain: Uint8Array[] | null = []
    let hold: boolean | undefined
    let plainSize = 0
    let failure: unknown = null
    let sinceCollection = 0
    // Held plaintext is fingerprinted after the answer is sent (ctx.later): hashing 64 MiB
    // (~40-80 ms) then overlaps git writing the file, though git still waits for this process
    // to exit. Only what is not held is hashed as it comes.
    const drop = (): void => {
      for (const piece of plain ?? []) fingerprint?.update(piece)
      plain = null
    }
    const take = (pieces: Uint8Array[]): void => {
      for (const piece of pieces) {
        if (plain !== null) {
          plainSize += piece.length
          // Never more than the blob's size; should git have sent more, the second pass it is.
          if (hold && plainSize > holdLimit()) drop()
          else {
            plain.push(piece)
            continue
          }
        }
        fingerprint?.update(piece)
      }
    }
    // Held plaintext needs no spilled ciphertext: if a later chunk fails, the answer is the
    // stored blob read back from git (answerStored), so the bytes are not written to disk.
    let keepCiphertext = true
    for await (const chunk of allChunks(head)) {
      if (hold === undefined && held.wouldSpill(chunk.length)) {
        hold = holdsPlaintext(ctx, blobOid)
        if (hold) {
          keepCiphertext = false
          held.dispose()
        } else drop()
      }
      if (keepCiphertext) held.write(chunk)
      if (hold && plain !== null) sinceCollection += chunk.length
      if (hold && plain !== null && sinceCollection >= COLLECT_EVERY) {
        // The buffers git's stream arrived in are garbage once spilled and decrypted:
        // collected now, they do not pile up next to the plaintext held (see above).
        sinceCollection = 0
        collector()?.({ type: 'minor' })
      }
      if (failure) continue
      try {
        take(check.updateParts(chunk))
      } catch (e) {
        failure = e
      }
    }
    if (!failure) {
      try {
        take([check.final()])
      } catch (e) {
        failure = e
      }
    }
    if (failure) {
      plain = null
      const { reason, hint, notForYou } = why(failure)
      if (notForYou && !hasPluginIdentity(ctx.keys.identities())) ctx.report.keptNotForYou(path)
      else ctx.report.keptAsStored(path, reason, hint)
      if (!keepCiphertext) return await answerStored(ctx, path, blobOid!)
      ctx.stored.records.checkedOut(blobOid ?? held.blobId(ctx.paths.objectFormat), path)
      return held.answer()
    }
    if (blobOid && fingerprint) {
      const pieces = plain
      if (pieces === null) ctx.stored.plaintextMacs.record(blobOid, { mac: fingerprint.digest() })
      else ctx.later(() => ctx.stored.plaintextMacs.record(blobOid, pieces))
    }
    if (process.env['GIT_SEAL_DEBUG']?.split(',').includes('smudge')) {
      debug(
        `${path}: ${plain ? 'decrypted once, the plaintext held in memory' : 'decrypted twice, the second time from the spilled ciphertext'}${held.spilled ? ' (ciphertext spilled)' : keepCiphertext ? '' : ' (ciphertext not kept)'}`,
      )
    }
    if (plain) {
      held.dispose()
      return plain
    }
    return held.decryptedAnswer(ctx.keys.identities())
  } catch (e) {
    held.dispose()
    throw e
  }
}

/**
 * The answer for a held blob (within {@link SMUDGE_HOLD_LIMIT}) that failed after its ciphertext
 * was let go: the stored blob, read back from git by the id git sent with it (the object git
 * just read to send it). The plaintext held is collected first, so the two are never in
 * memory together.
 * @throws {Error} when git cannot hand the blob back (then the file is reported as failed).
 */
async function answerStored(ctx: SealContext, path: string, blobOid: string): Promise<Iterable<Uint8Array>> {
  collector()?.({ type: 'major' })
  const stored = await ctx.stored.blob(blobOid)
  if (!stored) throw new Error(`${path}: git could not hand back blob ${blobOid} to keep it as stored`)
  ctx.stored.records.checkedOut(blobOid, path)
  return [stored]
}

/** A large blob kept as stored, held like {@link smudgeLarge}'s (never whole in memory). */
async function keepLarge(
  ctx: SealContext,
  path: string,
  head: FileHead,
  blobOid: string | undefined,
): Promise<Iterable<Uint8Array>> {
  const held = new Spill(stateDir(ctx.paths, true))
  try {
    for await (const chunk of allChunks(head)) held.write(chunk)
    ctx.stored.records.checkedOut(blobOid ?? held.blobId(ctx.paths.objectFormat), path)
    return held.answer()
  } catch (e) {
    held.dispose()
    throw e
  }
}
