/**
 * `sync`: rewrite the .gitattributes block from .gitseal.yaml (the single source of truth), last
 * in the file, then encrypt in the index the tracked files the config makes secrets while their
 * staged blob is still plaintext (a rule added for a file already tracked or staged): `git add
 * --renormalize`, which plain `git add` is not (git skips a file it thinks unchanged, so it
 * would stay plaintext in the index).
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  CONFIG_FILE,
  MAX_ATTRIBUTES_BYTES,
  loadConfig,
  matchingSecrets,
  readRepositoryFile,
  updateAttributes,
  type SealConfig,
} from '../config/index.js'
import { CatFileBatch } from '../git/objects.js'
import { GITLINK_MODE, SYMLINK_MODE, lsFilesStage, lsTree, renormalizePaths } from '../git/plumbing.js'
import { repoPaths } from '../git/repo.js'
import { GitError } from '../git/run.js'
import { isStoredPlaintext } from '../seal/check.js'
import { UserError } from '../ui.js'
import { bareRepositoryError } from '../errors.js'

/** Rewrites the block; returns true when .gitattributes changed. */
export function syncAttributes(root: string): boolean {
  const config = loadConfig(root)
  if (!config) throw new UserError(`no ${CONFIG_FILE} at ${root}`, "run 'git-seal init' first")
  const file = join(root, '.gitattributes')
  const before = readRepositoryFile(file, '.gitattributes', MAX_ATTRIBUTES_BYTES) ?? ''
  const after = updateAttributes(before, config)
  if (after === before) return false
  writeFileSync(file, after)
  return true
}

/** The bytes of a work tree file, or null when it is missing or not a regular file (a symlink is never followed). */
function readWorkTreeFile(root: string, path: string): Buffer | null {
  let fd: number
  try {
    fd = openSync(join(root, path), constants.O_RDONLY | constants.O_NOFOLLOW)
  } catch {
    return null // missing, a symlink (ELOOP) or unreadable: not ours to re-stage
  }
  try {
    return fstatSync(fd).isFile() ? readFileSync(fd) : null
  } finally {
    closeSync(fd)
  }
}

export interface Renormalized {
  /** re-staged and now ciphertext in the index; `plaintextOid` is the blob it replaced */
  encrypted: { path: string; plaintextOid: string }[]
  /** left alone: the work tree copy differs from the index (re-staging would stage those edits) or is missing */
  modified: string[]
  /** re-staged, or tried, and still plaintext in the index (the filter is not installed, or clean refused) */
  failed: { path: string; why: string }[]
}

/**
 * Encrypts in the index every tracked file the config makes a secret whose index blob is not
 * ciphertext, when its work tree copy holds the same bytes: one `git add --renormalize` for all
 * of them, then each checked again. Needs the .gitattributes block in place and the filter
 * installed; reports what it could not do rather than failing.
 * @throws {GitError} when git cannot list the index.
 */
export async function renormalizeSecrets(root: string, config: SealConfig): Promise<Renormalized> {
  const result: Renormalized = { encrypted: [], modified: [], failed: [] }
  const entries = lsFilesStage(root).filter(
    (e) =>
      e.stage === 0 && e.mode !== GITLINK_MODE && e.mode !== SYMLINK_MODE && matchingSecrets(config, e.path).length > 0,
  )
  if (entries.length === 0) return result
  const objects = new CatFileBatch(root)
  try {
    const blobs = await Promise.all(entries.map(async (e) => ({ path: e.path, object: await objects.get(e.oid) })))
    const toAdd: string[] = []
    const before = new Map<string, string>()
    for (const { path, object } of blobs) {
      if (!isStoredPlaintext(path, object)) continue
      const current = readWorkTreeFile(root, path)
      if (current?.equals(object!.content)) {
        toAdd.push(path)
        before.set(path, object!.oid)
      } else result.modified.push(path)
    }
    if (toAdd.length === 0) return result
    let why = 'still plaintext after git add --renormalize'
    try {
      // Paths on stdin: any number of them, any bytes but NUL.
      renormalizePaths(root, toAdd)
    } catch (e) {
      if (!(e instanceof GitError)) throw e
      // git add stops at the first clean that fails and stages none of them; what it said is in the message.
      why =
        e.stderr
          .trim()
          .split('\n')
          .filter((l) => l.startsWith('git-seal: error:'))
          .map((l) => l.slice('git-seal: error: '.length))[0] ?? e.message
    }
    const after = new Map(
      lsFilesStage(root)
        .filter((e) => e.stage === 0)
        .map((e) => [e.path, e.oid]),
    )
    for (const path of toAdd) {
      const oid = after.get(path)
      const object = oid ? await objects.get(oid) : null
      if (object && !isStoredPlaintext(path, object)) result.encrypted.push({ path, plaintextOid: before.get(path)! })
      else result.failed.push({ path, why })
    }
    return result
  } finally {
    objects.close()
  }
}

/** What {@link syncRepository} did. */
export interface SyncResult {
  /** true when the .gitattributes block was rewritten */
  attributesUpdated: boolean
  renormalized: Renormalized
  /** of `renormalized.encrypted`: those whose plaintext blob is HEAD's (so readable in history) */
  committedInPlaintext: string[]
  /** of `renormalized.encrypted`: those whose plaintext was only staged (an unreferenced blob now) */
  stagedInPlaintext: string[]
}

/**
 * `sync`: the .gitattributes block, then every secret still plaintext in the index.
 * @throws {UserError} when the repository is bare or has no config; {GitError} when git cannot list the index.
 */
export async function syncRepository(): Promise<SyncResult> {
  const root = repoPaths().top
  if (!root) throw bareRepositoryError()
  const attributesUpdated = syncAttributes(root)
  const config = loadConfig(root)!
  const renormalized = await renormalizeSecrets(root, config)
  const result: SyncResult = { attributesUpdated, renormalized, committedInPlaintext: [], stagedInPlaintext: [] }
  if (renormalized.encrypted.length > 0) {
    const head = new Map((lsTree(root, 'HEAD') ?? []).map((e) => [e.path, e.oid]))
    result.committedInPlaintext = renormalized.encrypted
      .filter((e) => head.get(e.path) === e.plaintextOid)
      .map((e) => e.path)
    result.stagedInPlaintext = renormalized.encrypted
      .filter((e) => head.get(e.path) !== e.plaintextOid)
      .map((e) => e.path)
  }
  return result
}
