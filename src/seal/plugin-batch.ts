/**
 * Checkout with a plugin key (a YubiKey through age-plugin-yubikey, say): every file in one
 * plugin session, instead of one session (one PIN prompt, one process) per file.
 *
 * An `identity-v1` session takes all the stanzas it is given, answers, then ends; git hands a
 * filter one file at a time and waits for each answer. git's `delay` capability breaks that
 * lock-step: a smudge request with `can-delay=1` may be answered "delayed", and git asks for
 * the delayed files again only after `list_available_blobs`. So a file that only a plugin
 * identity can open is held (its ciphertext, in memory) and answered "delayed"; when git asks
 * which are available, each plugin is asked about all held files in one session; git then asks
 * for them again and they are decrypted from what that session returned.
 *
 * Only when needed: a file some other identity opens, plaintext, a locked clone, or a process
 * without plugin identities is answered at once, as without this. git offers `can-delay` on
 * checkout, switch, reset, restore and clone (not on checkout-index, nor for diff and merge,
 * which open one blob at a time).
 */
import {
  hasPluginIdentity,
  looksLikeAge,
  opensWithoutPlugin,
  pluginKnowsAll,
  prefetchPluginKeys,
  stanzaSets,
  MAX_STANZAS,
  type Identity,
  type Stanza,
} from '../age/index.js'
import { DELAYED, type FilterRequest } from '../filter/protocol.js'
import type { SealContext } from './context.js'
import { allChunks, concat, readHead, readRest } from './input.js'
import { smudgeFile } from './smudge.js'
import { sopsMetadata } from './stored.js'

interface Held {
  chunks: Uint8Array[]
  sets: Stanza[][]
}

/**
 * The recipient stanzas of every age file a stored blob holds: the blob's own header, or each
 * `enc` entry's of a sops document (none past the stanza bound, which is never tried: stored.ts).
 * Empty for plaintext and damaged headers.
 */
export function storedStanzaSets(path: string, bytes: Uint8Array): Stanza[][] {
  if (looksLikeAge(bytes)) return stanzaSets([bytes])
  const metadata = sopsMetadata(path, bytes)
  if (!metadata || metadata.age.length > MAX_STANZAS) return []
  return stanzaSets(metadata.age.map((e) => Buffer.from(e.enc, 'utf8')))
}

/** Asks each plugin about all these stored blobs in one session, before they are opened one by one. */
export function prefetchStored(identities: Identity[], blobs: { path: string; bytes: Uint8Array }[]): void {
  if (!hasPluginIdentity(identities)) return
  prefetchPluginKeys(
    identities,
    blobs.flatMap((b) => storedStanzaSets(b.path, b.bytes)),
  )
}

async function* fromChunks(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* chunks
}

export class DelayedSmudge {
  private readonly held = new Map<string, Held>()
  private readonly listed = new Set<string>()

  constructor(private readonly ctx: SealContext) {}

  /**
   * Smudges one file, or holds it for the batch ({@link DELAYED}) when only a plugin can open it
   * and git allows delaying.
   * Never throws for bad content (as smudgeFile); throws only when git's stream fails.
   */
  async smudge(
    request: FilterRequest,
    content: AsyncIterable<Uint8Array>,
  ): Promise<Iterable<Uint8Array> | typeof DELAYED> {
    const path = request.pathname
    const blob = request.keys.get('blob')
    const held = this.held.get(path)
    if (held && request.keys.get('can-delay') !== '1') {
      // git asks again for a file it was told was delayed; its content section is empty.
      this.held.delete(path)
      return smudgeFile(this.ctx, path, fromChunks(held.chunks), blob)
    }
    if (request.keys.get('can-delay') !== '1' || this.ctx.locked || !hasPluginIdentity(this.ctx.keys.identities()))
      return smudgeFile(this.ctx, path, content, blob)
    const head = await readHead(content)
    const sets = this.pluginSets(path, concat(head.chunks, head.size))
    if (!sets) return smudgeFile(this.ctx, path, allChunks(head), blob)
    this.held.set(path, { chunks: [...head.chunks, ...(await readRest(head))], sets })
    this.listed.delete(path)
    return DELAYED
  }

  /**
   * The stanzas a plugin must be asked about before this blob can be opened, or null when no
   * plugin needs asking (plaintext, damaged, opened by another identity, or already known).
   */
  private pluginSets(path: string, bytes: Uint8Array): Stanza[][] | null {
    const sets = storedStanzaSets(path, bytes)
    const identities = this.ctx.keys.identities()
    if (sets.length === 0 || opensWithoutPlugin(sets, identities) || pluginKnowsAll(identities, sets)) return null
    return sets
  }

  /**
   * git's `list_available_blobs`: asks each plugin about every held file in one session, then
   * lists them all (each is answered when git asks again: decrypted, or kept as stored with
   * the reason). An empty list once everything was listed.
   */
  available(): string[] {
    const paths = [...this.held.keys()].filter((p) => !this.listed.has(p))
    if (paths.length === 0) return []
    prefetchPluginKeys(
      this.ctx.keys.identities(),
      paths.flatMap((p) => this.held.get(p)!.sets),
    )
    for (const p of paths) this.listed.add(p)
    return paths
  }
}
