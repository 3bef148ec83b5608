/**
 * What was stored before: the index's and HEAD's blobs of a path, the objects themselves, and
 * what this clone remembers about blobs it handled (src/seal/records.ts) and about their
 * plaintext (src/seal/plaintext-macs.ts). Clean asks it whether input is what is already
 * stored; read in-process where that is safe, through `git cat-file` otherwise.
 */
import { statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { CatFileBatch, readLooseBlob } from '../git/objects.js'
import { readIndexFile } from '../git/index-file.js'
import { headBlobs } from '../git/head-tree.js'
import type { RepoPaths } from '../git/repo.js'
import type { StateDirectory } from '../git/state-dir.js'
import { PlaintextMacs } from './plaintext-macs.js'
import { BlobRecords } from './records.js'

/** A stored version of a path: its blob id (null when git did not say) and bytes. */
export interface StoredVersion {
  oid: string | null
  content: Uint8Array
}

export class StoredBefore {
  /** what this clone knows about blobs it handled */
  readonly records: BlobRecords
  /** MACs of the plaintext of blobs this clone encrypted or decrypted: equal plaintext without decrypting */
  readonly plaintextMacs: PlaintextMacs
  readonly objects: CatFileBatch
  private indexCache: Map<string, string> | null | undefined
  /** the paths with unresolved conflicts in the index {@link indexCache} was read from */
  private unmerged = new Set<string>()
  private headCache: Map<string, string> | undefined
  /** the index file's stat when {@link indexCache} was read */
  private indexStamp = ''
  /**
   * Set by {@link beginRequest}: the index is then stat'ed once per filter request rather than
   * on every use (a few per file; ~13 µs each, 2-3% of a bulk add). git does not touch its
   * index while it waits for an answer, so within one request the stamp cannot change.
   */
  private requestSeen = false
  private statedThisRequest = false

  constructor(
    private readonly paths: RepoPaths,
    private readonly root: string,
    private readonly state: StateDirectory,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.records = new BlobRecords(state.path)
    this.plaintextMacs = new PlaintextMacs(state.path)
    this.objects = new CatFileBatch(root, env)
  }

  /** A new filter request: the index may have changed since the last one (see {@link requestSeen}). */
  beginRequest(): void {
    this.requestSeen = true
    this.statedThisRequest = false
  }

  /**
   * Stage-0 index entries read in-process; null when git must be asked instead.
   *
   * One git command (rebase, merge) can rewrite the index and move HEAD many times while this
   * process serves it: the cache is checked against the index file's stat on every use (once
   * per request in the filter), and HEAD's listing is dropped with it.
   */
  private indexEntries(): Map<string, string> | null {
    if (this.requestSeen && this.statedThisRequest && this.indexCache !== undefined) return this.indexCache
    this.statedThisRequest = true
    const file = this.env['GIT_INDEX_FILE']
      ? resolve(this.root, this.env['GIT_INDEX_FILE'])
      : join(this.paths.gitDir, 'index')
    let stamp = 'missing'
    try {
      const st = statSync(file, { bigint: true })
      stamp = `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`
    } catch {
      // no index yet (a fresh repository): 'missing' is its stamp
    }
    if (this.indexCache === undefined || stamp !== this.indexStamp) {
      this.indexStamp = stamp
      this.unmerged = new Set()
      this.indexCache = readIndexFile(file, this.paths.objectFormat === 'sha256' ? 32 : 20, this.unmerged)
      this.headCache = undefined
    }
    return this.indexCache
  }

  /** The index's stage-0 paths and blob ids, read in-process; null when only git can read this index. */
  indexPaths(): ReadonlyMap<string, string> | null {
    return this.indexEntries()
  }

  /**
   * {@link indexPaths}, or null while the index holds an unresolved conflict: a path then has
   * entries at stages 1-3 only (git reads a conflicted .gitattributes from stage 2), which the
   * stage-0 map does not show.
   */
  indexPathsWithoutConflicts(): ReadonlyMap<string, string> | null {
    const entries = this.indexEntries()
    return entries !== null && this.unmerged.size === 0 ? entries : null
  }

  private headEntries(): Map<string, string> {
    this.headCache ??= headBlobs(this.root, this.paths, this.state, this.env)
    return this.headCache
  }

  /** A blob's bytes: straight from a loose object when it is one, else from cat-file. */
  async blob(oid: string): Promise<Uint8Array | null> {
    if (!this.env['GIT_OBJECT_DIRECTORY']) {
      const loose = readLooseBlob(join(this.paths.commonDir, 'objects'), oid)
      if (loose) return loose
    }
    const object = await this.objects.get(oid)
    return object && object.type === 'blob' ? object.content : null
  }

  /**
   * The blob input at `path` must equal to be proven ciphertext by identity: the index entry's,
   * HEAD's only when the index has none (a new file, or one with unmerged stages).
   */
  async indexOrHeadOid(path: string): Promise<string | null> {
    const index = this.indexEntries()
    if (index === null) {
      const staged = await this.objects.get(`:${path}`)
      if (staged?.type === 'blob') return staged.oid
      const head = await this.objects.get(`HEAD:${path}`)
      return head?.type === 'blob' ? head.oid : null
    }
    return index.get(path) ?? this.headEntries().get(path) ?? null
  }

  /** The ids of the stored versions of a path (index, then HEAD), without reading them when the index is readable in-process. */
  async storedVersionOids(path: string): Promise<string[]> {
    const index = this.indexEntries()
    if (index === null) return (await this.storedVersions(path)).flatMap((v) => (v.oid ? [v.oid] : []))
    return this.distinctOids(index, path)
  }

  /** The index's blob of a path, then HEAD's, each once. */
  private distinctOids(index: Map<string, string>, path: string): string[] {
    return [index.get(path), this.headEntries().get(path)].filter(
      (o, i, all): o is string => o !== undefined && all.indexOf(o) === i,
    )
  }

  /**
   * The stored versions of a path that may hold its previous content: the index's, then HEAD's
   * (distinct ones only). Without a process round trip when the index can be read in-process.
   */
  async storedVersions(path: string): Promise<StoredVersion[]> {
    const index = this.indexEntries()
    if (index === null) {
      const objects = await Promise.all([this.objects.get(`:${path}`), this.objects.get(`HEAD:${path}`)])
      const seen = new Set<string>()
      return objects
        .filter((o) => o !== null && o.type === 'blob' && !seen.has(o.oid) && seen.add(o.oid))
        .map((o) => ({ oid: o!.oid, content: o!.content }))
    }
    const oids = this.distinctOids(index, path)
    const out: StoredVersion[] = []
    for (const oid of oids) {
      const content = await this.blob(oid)
      if (content) out.push({ oid, content })
    }
    return out
  }

  /**
   * {@link storedVersions}, each read only when asked (clean may learn all it needs from a
   * version's plaintext MAC): by blob id where the index is read in-process, otherwise as git
   * hands them over.
   */
  async storedVersionsOnDemand(
    path: string,
  ): Promise<{ oid: string | null; read: () => Promise<Uint8Array | null> }[]> {
    const index = this.indexEntries()
    if (index === null)
      return (await this.storedVersions(path)).map(({ oid, content }) => ({ oid, read: async () => content }))
    return this.distinctOids(index, path).map((oid) => ({ oid, read: () => this.blob(oid) }))
  }

  /** Writes what is still batched (records, plaintext MACs). */
  flush(): void {
    this.records.flush()
    this.plaintextMacs.flush()
  }

  /** Flushes, and ends the cat-file process. */
  close(): void {
    this.flush()
    this.objects.close()
  }
}
