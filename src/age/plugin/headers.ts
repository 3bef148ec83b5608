/**
 * Headers for recipient sets that include plugin recipients, with their file keys wrapped
 * ahead in one `recipient-v1` session per plugin: `git add` of many secrets starts each plugin
 * a few times, not once per file. The session is the expensive part (a process start, maybe a
 * hardware key); wrapping a file key that ends up unused costs the plugin one more stanza,
 * and unused file keys are wiped when the supply closes.
 *
 * Native recipients of the set (X25519, ssh-ed25519) are wrapped when a header is taken, so
 * none of their work is wasted. Stanzas keep the order of the set's recipients, a plugin's
 * stanzas at the place of its first recipient.
 */
import { headerForKey, type PreparedHeader } from '../prepared.js'
import { randomBytes } from '../primitives.js'
import type { Stanza } from '../header.js'
import type { Recipient } from '../types.js'
import { PluginRecipient, wrapWithPlugins } from './keys.js'

/** File keys wrapped by the first session of a set, and the most any later one wraps. */
const FIRST_BATCH = 16
const MAX_BATCH = 256

interface Batch {
  fileKeys: Uint8Array[]
  /** per file key, per plugin name: its stanzas */
  stanzas: Map<string, Stanza[]>[]
  next: number
}

interface SetState {
  batch: Batch | null
  size: number
}

export class PluginHeaderSupply {
  private readonly sets = new Map<string, SetState>()

  /**
   * A header for one file to `recipients` (named by `id`), used once.
   * @throws {PluginError} when a plugin is missing, fails, or refuses a recipient;
   *   {AgeError} when the header would hold too many stanzas.
   */
  take(id: string, recipients: Recipient[]): PreparedHeader {
    let state = this.sets.get(id)
    if (!state) {
      state = { batch: null, size: FIRST_BATCH }
      this.sets.set(id, state)
    }
    if (!state.batch || state.batch.next >= state.batch.fileKeys.length) {
      state.batch = this.wrapAhead(recipients, state.size)
      state.size = Math.min(MAX_BATCH, state.size * 4)
    }
    const batch = state.batch
    const at = batch.next++
    const fileKey = batch.fileKeys[at]!
    try {
      const placed = new Set<string>()
      const stanzas: Stanza[] = []
      for (const r of recipients) {
        if (!(r instanceof PluginRecipient)) stanzas.push(...r.wrapFileKey(fileKey))
        else if (!placed.has(r.plugin)) {
          placed.add(r.plugin)
          stanzas.push(...(batch.stanzas[at]!.get(r.plugin) ?? []))
        }
      }
      return headerForKey(stanzas, fileKey)
    } finally {
      fileKey.fill(0)
    }
  }

  private wrapAhead(recipients: Recipient[], count: number): Batch {
    const plugins = recipients.filter((r): r is PluginRecipient => r instanceof PluginRecipient)
    const fileKeys = Array.from({ length: count }, () => randomBytes(16))
    const stanzas: Map<string, Stanza[]>[] = fileKeys.map(() => new Map())
    try {
      // One session per plugin name, so each file's stanzas can be told apart by plugin.
      for (const name of new Set(plugins.map((p) => p.plugin))) {
        const wrapped = wrapWithPlugins(
          plugins.filter((p) => p.plugin === name),
          fileKeys,
        )
        wrapped.forEach((list, i) => {
          stanzas[i]!.set(name, list)
        })
      }
    } catch (e) {
      for (const key of fileKeys) key.fill(0)
      throw e
    }
    return { fileKeys, stanzas, next: 0 }
  }

  /** Wipes the file keys wrapped ahead and never used. */
  close(): void {
    for (const state of this.sets.values()) for (const key of state.batch?.fileKeys ?? []) key.fill(0)
    this.sets.clear()
  }
}
