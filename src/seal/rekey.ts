/**
 * Bringing stored secrets in line with the config: recipients and format. Used by `rekey`,
 * `add-recipient` and `remove-recipient`. Reads the index, never the work tree, and stages the
 * new blobs (the work tree is untouched; `git status` stays clean because clean gives the new
 * blob back for the same plaintext).
 */
import { looksLikeAge } from '../age/index.js'
import { encryptAge } from './clean.js'
import { effectiveFormat, findSecret, type SealConfig, type SecretRule } from '../config/index.js'
import { writeBlob } from '../git/objects.js'
import { updateIndexInfo, type IndexEntry, type IndexInfoRecord } from '../git/plumbing.js'
import type { SealContext } from './context.js'
import { blobReaders, readerKeys, type BlobReaders } from './declared.js'
import { configuredKeys, encryptForSops, sopsRecipient } from './sops.js'
import { openStored, storedKind } from './stored.js'
import { recipientChange } from './recipient-change.js'
import { join } from 'node:path'

export interface RekeyOutcome {
  path: string
  action: 'rekeyed' | 'converted' | 'unchanged' | 'failed' | 'plaintext'
  added: string[]
  removed: string[]
  message?: string
}

/** Every key the config names, as a blob of this format records it: what a declared fingerprint may stand for. */
export function candidateKeys(config: SealConfig, format: 'age' | 'sops'): string[] {
  const keys = [
    ...config.people.map((p) => p.key),
    ...config.groups.flatMap((g) => [...g.admins, ...g.targets].map((r) => r.key)),
  ]
  return [...new Set(format === 'sops' ? keys.map(sopsRecipient) : keys)]
}

/**
 * Who a stored blob is for and how that is known (src/seal/declared.ts). `verify` tries the
 * identities here on it (a key exchange per stanza and identity).
 */
export function storedReaders(
  ctx: SealContext,
  path: string,
  oid: string,
  bytes: Uint8Array,
  verify: boolean,
): BlobReaders {
  const format = looksLikeAge(bytes) ? 'age' : 'sops'
  return blobReaders(path, oid, bytes, candidateKeys(ctx.worktreeConfig.get(), format), {
    records: ctx.stored.records,
    identities: verify ? ctx.keys.identities() : [],
  })
}

/**
 * Recipient keys a stored blob is encrypted to, when known: this clone's records, an age
 * header's declaration (checked as far as it can be: see declared.ts), a sops file's metadata.
 */
export function storedRecipients(
  ctx: SealContext,
  path: string,
  oid: string,
  bytes: Uint8Array,
  verify = false,
): string[] | null {
  return readerKeys(storedReaders(ctx, path, oid, bytes, verify))
}

/** A key's name in the config (the rule's recipients first, then anyone the config names), else a short form. */
export function nameOfKey(config: SealConfig, rule: SecretRule | null, key: string): string {
  const everyone = [
    ...(rule?.recipients ?? []),
    ...config.people,
    ...config.groups.flatMap((g) => [...g.admins, ...g.targets]),
  ]
  return (
    everyone.find((r) => r.key === key || sopsRecipient(r.key) === key)?.name ??
    (key.startsWith('fingerprint:') ? key : `${key.slice(0, 20)}…`)
  )
}

/** Rekeys one index entry; never throws (a failure is an outcome). */
export async function rekeyEntry(
  ctx: SealContext,
  config: SealConfig,
  entry: IndexEntry,
  force: boolean,
): Promise<{ outcome: RekeyOutcome; blob?: Uint8Array; mac?: string }> {
  const path = entry.path
  try {
    const rule = findSecret(config, path)
    if (!rule)
      return { outcome: { path, action: 'unchanged', added: [], removed: [], message: 'no secret rule matches it' } }
    const object = await ctx.stored.objects.get(entry.oid)
    if (!object) return { outcome: { path, action: 'failed', added: [], removed: [], message: 'blob missing' } }
    if (object.content.length === 0) return { outcome: { path, action: 'unchanged', added: [], removed: [] } } // an empty secret holds nothing
    if (ctx.stored.records.isWrapped(entry.oid)) {
      return {
        outcome: {
          path,
          action: 'failed',
          added: [],
          removed: [],
          message: `staged input that was not proven ciphertext: 'git checkout HEAD -- ${path}' first`,
        },
      }
    }
    const kind = storedKind(path, object.content)
    if (kind === 'plaintext')
      return {
        outcome: {
          path,
          action: 'plaintext',
          added: [],
          removed: [],
          message: "staged in plaintext: 'git add' it with git-seal installed",
        },
      }
    const format = effectiveFormat(rule, path)
    const wanted = configuredKeys(rule, format)
    // A declaration is trusted only to skip a blob; it is verified first with the keys here.
    const recorded = storedRecipients(ctx, path, entry.oid, object.content, true)
    const { added, removed } = recorded ? recipientChange(wanted, recorded) : { added: wanted, removed: [] }
    const sameFormat = kind === format
    if (sameFormat && recorded && added.length === 0 && removed.length === 0 && !force) {
      return { outcome: { path, action: 'unchanged', added: [], removed: [] } }
    }
    const plaintext = openStored(path, object.content, ctx.keys.identities())
    let blob: Uint8Array
    if (format === 'sops')
      blob = encryptForSops(ctx.keys, path, plaintext, rule, kind === 'sops' ? object.content : null)
    else blob = await encryptAge(ctx.keys, rule, plaintext)
    // Its plaintext MAC made now, recorded by stageBlobs once the blob has its id: the plaintext is wiped here.
    // None for `worktree: ciphertext` secrets: their work tree offers nothing to compare with.
    const mac = ctx.keepsCiphertext(path) ? null : ctx.stored.plaintextMacs.of(plaintext, true)
    plaintext.fill?.(0)
    return {
      outcome: {
        path,
        action: sameFormat ? 'rekeyed' : 'converted',
        added: added.map((k) => nameOfKey(config, rule, k)),
        removed: removed.map((k) => nameOfKey(config, rule, k)),
      },
      blob,
      ...(mac ? { mac } : {}),
    }
  } catch (e) {
    return { outcome: { path, action: 'failed', added: [], removed: [], message: (e as Error).message } }
  }
}

/**
 * Writes the blobs and points the index at them, in one update-index. Each replaced blob is
 * recorded as such at its path, so clean never brings its old recipients back from a work tree
 * that still holds it.
 */
export function stageBlobs(
  ctx: SealContext,
  staged: { entry: IndexEntry; blob: Uint8Array; format: 'age' | 'sops'; recipients: string[]; mac?: string }[],
): void {
  if (staged.length === 0) return
  const objectsDir = join(ctx.paths.commonDir, 'objects')
  const records: IndexInfoRecord[] = []
  for (const s of staged) {
    const oid = writeBlob(objectsDir, s.blob, ctx.paths.objectFormat)
    ctx.stored.records.add({ blob: oid, format: s.format, recipients: s.recipients, path: s.entry.path })
    ctx.stored.records.replaced(s.entry.oid, s.entry.path)
    if (s.mac) ctx.stored.plaintextMacs.record(oid, { mac: s.mac })
    records.push({ mode: s.entry.mode, oid, path: s.entry.path })
  }
  ctx.stored.records.flush()
  ctx.stored.plaintextMacs.flush()
  updateIndexInfo(ctx.root, records)
}
