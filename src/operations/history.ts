/**
 * A repository's history as the use cases that read it (verify, audit, the credential scan)
 * see it: the commits a revision range or `--all` selects, with their parents or their trees;
 * the blobs of a tree; and each commit's own `.gitseal.yaml`, valid or not and why. Each thing
 * is learnt once and kept: a tree is listed once per tree id, a commit's config entry looked
 * up with one `cat-file --batch-check` for all the commits asked together, a config blob read
 * and parsed once per blob id, every object read through one object reader.
 *
 * What the knowledge means is left to the callers: verify inherits configs from parents (its
 * effective config), audit takes each commit's own config as it stands.
 */
import { CONFIG_FILE, parseConfig, type SealConfig } from '../config/index.js'
import type { GitObject } from '../git/objects.js'
import {
  catFileBatchCheck,
  commitsWithTrees,
  logRaw,
  lsTree,
  revListParents,
  type CommitAndTree,
  type CommitChanges,
  type CommitParents,
  type ObjectInfo,
  type TreeEntry,
} from '../git/plumbing.js'

/** What history is read through; a CatFileBatch, or a wrapper that counts reads (tests). */
export interface ObjectReader {
  get(spec: string): Promise<GitObject | null>
  close(): void
}

/** A config blob, parsed, or why it is not a config (the first line of the parser's message). */
export type ConfigState =
  | { kind: 'valid'; oid: string; config: SealConfig }
  | { kind: 'invalid'; oid: string; reason: string }

export type ValidConfig = Extract<ConfigState, { kind: 'valid' }>

/** Parses a config's text; `source` names it in messages. Throws when it is not a valid config. */
export type ConfigParser = (text: string, source: string) => SealConfig

export interface RepositoryHistoryOptions {
  /** the config parser (default: config/'s `parseConfig`); tests inject one that counts */
  parseConfig?: ConfigParser
}

/**
 * The history of one repository, learnt on demand and kept for the life of the object (every
 * walk of one command shares it: every ref of a push, a range and its reference tips).
 */
export class RepositoryHistory {
  private readonly parents = new Map<string, string[]>()
  /** a commit's own config entry: absent (null), or an object (a blob, or a tree by mistake) */
  private readonly ownEntries = new Map<string, ObjectInfo | null>()
  private readonly configs = new Map<string, ConfigState>()
  private readonly reading = new Map<string, Promise<ConfigState>>()
  private readonly trees = new Map<string, TreeEntry[]>()
  private readonly parse: ConfigParser

  /**
   * @param objects the reader every object is read through; {@link close} closes it.
   */
  constructor(
    readonly root: string,
    private readonly objects: ObjectReader,
    options: RepositoryHistoryOptions = {},
  ) {
    this.parse = options.parseConfig ?? parseConfig
  }

  /**
   * The commits `revArgs` select (`B`, `^A`, `--all`...) with their parents, which are kept.
   * @returns the commits, newest first.
   * @throws {GitError} when a revision is unknown.
   */
  commits(revArgs: string[]): CommitParents[] {
    const nodes = revListParents(this.root, revArgs)
    for (const n of nodes) this.parents.set(n.commit, n.parents)
    return nodes
  }

  /** The parents of a commit {@link commits} listed; undefined for one it has not. */
  parentsOf(commit: string): readonly string[] | undefined {
    return this.parents.get(commit)
  }

  /**
   * The commits `revArgs` select with their root trees, in the order the arguments ask for
   * (`--reverse`, `--topo-order`...).
   * @throws {GitError} when a revision is unknown.
   */
  commitsWithTrees(revArgs: string[]): CommitAndTree[] {
    return commitsWithTrees(this.root, revArgs)
  }

  /**
   * What each commit `revArgs` select adds or changes (a merge against each parent, a root
   * commit against the empty tree), filtered by `git log --diff-filter`. Not kept: each caller
   * asks once.
   * @throws {GitError} when a revision is unknown.
   */
  changes(revArgs: readonly string[], diffFilter?: string): CommitChanges[] {
    return logRaw(this.root, [...revArgs], diffFilter ? { diffFilter } : {})
  }

  /**
   * The blobs (symbolic links included, gitlinks not) of a tree, paths from its top, listed
   * once per name asked (a tree id, or a commit).
   * @returns none when `treeish` names no tree (an unborn HEAD).
   */
  treeBlobs(treeish: string): TreeEntry[] {
    let entries = this.trees.get(treeish)
    if (!entries) {
      entries = (lsTree(this.root, treeish) ?? []).filter((e) => e.type === 'blob')
      this.trees.set(treeish, entries)
    }
    return entries
  }

  /**
   * Looks up the own config of each commit not looked up yet (one `cat-file --batch-check`
   * for all of them) and parses every config blob found (once per blob id).
   */
  async loadOwnConfigs(commits: readonly string[]): Promise<void> {
    const unknown = [...new Set(commits)].filter((c) => !this.ownEntries.has(c))
    if (unknown.length === 0) return
    const infos = catFileBatchCheck(
      this.root,
      unknown.map((c) => `${c}:${CONFIG_FILE}`),
    )
    for (const [i, c] of unknown.entries()) this.ownEntries.set(c, infos[i] ?? null)
    const blobs = new Set(infos.filter((i): i is ObjectInfo => i?.type === 'blob').map((i) => i.oid))
    await Promise.all([...blobs].map((oid) => this.configBlob(oid)))
  }

  /** True when {@link loadOwnConfigs} has looked up this commit's config. */
  knowsOwnConfig(commit: string): boolean {
    return this.ownEntries.has(commit)
  }

  /**
   * The own config of a commit {@link loadOwnConfigs} has looked up: null when it has none
   * (or has not been looked up), invalid when it is no blob or does not parse.
   */
  ownConfig(commit: string): ConfigState | null {
    const entry = this.ownEntries.get(commit)
    if (!entry) return null
    return this.configs.get(entry.oid) ?? { kind: 'invalid', oid: entry.oid, reason: `a ${entry.type}, not a file` }
  }

  /**
   * The config `rev` holds at its top (any revision: `HEAD`, a commit, a tag), null when it
   * has none; looked up on its own, parsed once per blob id with the others.
   */
  async configAt(rev: string): Promise<ConfigState | null> {
    const [entry] = catFileBatchCheck(this.root, [`${rev}:${CONFIG_FILE}`])
    if (!entry) return null
    if (entry.type !== 'blob') return { kind: 'invalid', oid: entry.oid, reason: `a ${entry.type}, not a file` }
    return this.configBlob(entry.oid)
  }

  /** Reads and parses a config blob, once per blob id (asked again while reading: the same read). */
  configBlob(oid: string): Promise<ConfigState> {
    const known = this.configs.get(oid)
    if (known) return Promise.resolve(known)
    let reading = this.reading.get(oid)
    if (!reading) {
      reading = this.readConfig(oid).then((state) => {
        this.configs.set(oid, state)
        this.reading.delete(oid)
        return state
      })
      this.reading.set(oid, reading)
    }
    return reading
  }

  private async readConfig(oid: string): Promise<ConfigState> {
    const object = await this.objects.get(oid)
    if (object?.type !== 'blob') return { kind: 'invalid', oid, reason: 'its blob is missing' }
    try {
      return { kind: 'valid', oid, config: this.parse(object.content.toString('utf8'), CONFIG_FILE) }
    } catch (e) {
      return { kind: 'invalid', oid, reason: (e as Error).message.split('\n')[0] ?? 'invalid' }
    }
  }

  /** An object, read through the history's reader (not kept). */
  read(spec: string): Promise<GitObject | null> {
    return this.objects.get(spec)
  }

  /** Ends the object reader. */
  close(): void {
    this.objects.close()
  }
}
