/**
 * A secret's plaintext, from the work tree or from a revision: the use case behind
 * `git-seal show` (sops -d), and where `exec` and `edit` start from.
 *
 * The work tree may hold plaintext (decrypted on checkout) or ciphertext (a locked clone, a
 * `worktree: ciphertext` secret, a checkout without the key): ciphertext is decrypted with this
 * clone's identities, plaintext is returned as it is. Nothing is written anywhere.
 */
import { lstatSync } from 'node:fs'
import { isAbsolute, relative, resolve, sep } from 'node:path'
import { AgeError } from '../age/index.js'
import { SopsError } from '../formats/sops/index.js'
import { blobAtRevision } from '../git/editor.js'
import { WorktreeReader } from '../git/worktree.js'
import { NO_KEY_HINT, type SealContext } from '../seal/context.js'
import { NoSopsKeyError, openStored, storedKind, type StoredKind } from '../seal/stored.js'
import { UserError, shellWord } from '../ui.js'

/**
 * A path given on the command line (relative to `cwd`) as a repository path: relative to the
 * top of the work tree, '/'-separated.
 * @throws {UserError} when it lies outside the work tree or is its top.
 */
export function repoPath(root: string, cwd: string, given: string): string {
  const rel = relative(root, resolve(cwd, given))
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new UserError(
      `${given} is not a file inside this repository's work tree`,
      'name a file under the top of the work tree',
    )
  }
  return rel.split(sep).join('/')
}

/** A work-tree file's bytes; null when there is no file at the path. */
export interface WorktreeFile {
  bytes: Buffer | null
}

/**
 * The bytes of a work-tree file, never through a symbolic link (the file's or a directory's).
 * @returns `bytes: null` when nothing exists at the path.
 * @throws {UserError} when something other than a regular file is there (a link, a directory, a FIFO).
 */
export function readWorktreeFile(root: string, path: string): WorktreeFile {
  const bytes = new WorktreeReader(root).read(path)
  if (bytes !== null) return { bytes }
  const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : ''
  const refuse = (what: string): UserError =>
    new UserError(
      `${path}: ${what}`,
      'git-seal never reads or writes a secret through a link; name the file where it really is',
    )
  if (hasLinkOnTheWay(root, parent))
    throw refuse('a directory on the way to it is a symbolic link (or not a directory)')
  try {
    lstatSync(resolve(root, path))
  } catch {
    return { bytes: null } // nothing there
  }
  throw refuse('not a regular file (a symbolic link, a directory, a FIFO…)')
}

/** True when a directory on the way to `dir` (relative to the top) exists and is not a real directory. */
export function hasLinkOnTheWay(root: string, dir: string): boolean {
  let at = ''
  for (const part of dir.split('/').filter(Boolean)) {
    at = at ? `${at}/${part}` : part
    try {
      if (!lstatSync(resolve(root, at)).isDirectory()) return true
    } catch {
      return false // missing from here on: nothing to follow
    }
  }
  return false
}

/** Why stored bytes could not be opened, as a user error naming the file. */
function cannotOpen(path: string, where: string, e: unknown): UserError {
  if ((e instanceof AgeError && e.code === 'no-identity') || e instanceof NoSopsKeyError) {
    return new UserError(`${path}: none of your age identities can decrypt ${where}`, NO_KEY_HINT)
  }
  if (e instanceof SopsError || e instanceof AgeError) {
    return new UserError(
      `${path}: ${where} is damaged (${e.message})`,
      `restore it from another commit ('git-seal show --rev HEAD~1 -- ${shellWord(path)}' shows an older version)`,
    )
  }
  return new UserError(
    `${path}: cannot decrypt ${where} (${(e as Error).message})`,
    `'git-seal recipients ${path}' shows whom it is encrypted to`,
  )
}

/** Plaintext of bytes read at `path`, and what they were. */
export interface Opened {
  plaintext: Uint8Array
  /** what the bytes were before opening: `plaintext` when they were returned as they are */
  kind: StoredKind
}

/**
 * Opens bytes found at `path` (`where` says where, for messages): ciphertext is decrypted with
 * this clone's identities, anything else is plaintext already.
 * @throws {UserError} when ciphertext cannot be decrypted (no key, damaged).
 */
export function openBytes(ctx: SealContext, path: string, bytes: Uint8Array, where: string): Opened {
  const kind = storedKind(path, bytes)
  if (kind === 'plaintext') return { plaintext: bytes, kind }
  try {
    return { plaintext: openStored(path, bytes, ctx.keys.identities()), kind }
  } catch (e) {
    throw cannotOpen(path, where, e)
  }
}

/**
 * The plaintext of a secret in the work tree.
 * @throws {UserError} when there is no file there, it is not a regular file, or it cannot be decrypted.
 */
export function worktreePlaintext(ctx: SealContext, path: string): Opened {
  const { bytes } = readWorktreeFile(ctx.root, path)
  if (bytes === null)
    throw new UserError(
      `${path}: no such file in the work tree`,
      `'git-seal show --rev HEAD -- ${shellWord(path)}' shows the committed version`,
    )
  return openBytes(ctx, path, bytes, 'the work-tree file')
}

/** What `show` found. */
export interface Shown extends Opened {
  /** the version shown was stored in git without encryption */
  storedInPlaintext: boolean
}

/**
 * The plaintext of `path` in the work tree, or at revision `rev` (the blob git stores there).
 * @throws {UserError} when the revision or the path does not exist there, or it cannot be decrypted.
 */
export function showSecret(ctx: SealContext, path: string, rev?: string): Shown {
  if (rev === undefined) return { ...worktreePlaintext(ctx, path), storedInPlaintext: false }
  const found = blobAtRevision(ctx.root, rev, path, ctx.env)
  if ('missing' in found) {
    if (found.missing === 'revision')
      throw new UserError(`unknown revision ${rev}`, 'name a commit: a branch, a tag, HEAD~2, a commit id')
    throw new UserError(
      `${path} is not a file in ${rev}`,
      `'git log --oneline -- ${shellWord(path)}' lists the commits that have it`,
    )
  }
  const opened = openBytes(ctx, path, found.blob, `its version in ${rev}`)
  return { ...opened, storedInPlaintext: opened.kind === 'plaintext' && found.blob.length > 0 }
}
