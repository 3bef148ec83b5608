/**
 * Editing a secret in place (`git-seal edit PATH`, after `sops edit`): decrypt into a private
 * file outside the repository, let an editor change it, encrypt the result through the same
 * code `git add` uses, and write the outcome back to the work tree.
 *
 * - The plaintext lives only in a 0700 directory under {@link userPrivateParent} (never in the
 *   repository: editors leave swap and backup files next to what they edit, and watchers and
 *   `git status` would see it), as a 0600 file named like the secret (so the editor picks the
 *   right syntax). The directory is removed when the edit ends, on SIGINT/SIGTERM/SIGHUP, and by
 *   the next run's sweep after a SIGKILL (private-tmp.ts).
 * - Encryption is {@link sealPlaintext}'s: plaintext equal to what the index (then HEAD) stores
 *   gets that blob back; a SOPS document keeps the data key and the ciphertext of every value
 *   that did not change. Content left unchanged writes nothing at all.
 * - What goes back: ciphertext when the work tree held ciphertext (a locked clone, a checkout
 *   without the key), when the secret is `worktree: ciphertext`, or when the clone is locked;
 *   otherwise plaintext, as a checkout would have written it. The ciphertext is recorded as
 *   written by this clone, so `git add` stores it as it is.
 * - Nothing is staged, as with `sops edit`: the change shows in `git status` and `git diff`
 *   (decrypted) and is committed like any edit.
 * - A PATH no rule covers is refused; a PATH a rule covers and nothing exists at creates a new
 *   secret (no key needed to create one: encrypting needs only the recipients).
 */
import {
  closeSync,
  constants,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs'
import { randomBytes } from 'node:crypto'
import { basename, join, resolve } from 'node:path'
import { effectiveFormat, findSecret, type SecretRule } from '../config/index.js'
import { SopsError } from '../formats/sops/index.js'
import type { SealContext } from '../seal/context.js'
import { sealPlaintext } from '../seal/clean.js'
import { concat, equalBytes } from '../seal/input.js'
import { createPrivateDir, sweepPrivateDirs, userPrivateParent, writePrivateFile } from '../seal/private-tmp.js'
import { holdsConflictMarkers } from '../seal/sops.js'
import { UserError } from '../ui.js'
import { hasLinkOnTheWay, openBytes, readWorktreeFile } from './show.js'

/** What editing needs from the person at the terminal; the command supplies it. */
export interface EditSession {
  /**
   * Opens the editor on `file` and resolves once it is closed.
   * @throws {UserError} when the editor fails (nothing is written then).
   */
  edit(file: string): Promise<void>
  /** After `problem` with the edited text: true to open the editor again on it, false to give up. */
  retry(problem: UserError): Promise<boolean>
}

export type EditResult =
  | { action: 'unchanged'; path: string }
  /** a new secret left empty in the editor: nothing created */
  | { action: 'not-created'; path: string }
  | { action: 'written'; path: string; created: boolean; worktree: 'ciphertext' | 'plaintext'; format: 'age' | 'sops' }

/**
 * True when the secret keeps ciphertext in the work tree (`worktree: ciphertext`). Read
 * defensively: the schema key comes with ciphertext work trees (issue 14), and a rule parsed
 * by a build without it has no such field.
 */
function keepsCiphertext(rule: SecretRule): boolean {
  return rule.worktree === 'ciphertext'
}

/**
 * Encrypts edited plaintext for `path`, refusing what `git add` would refuse.
 * @throws {UserError} when it holds conflict markers or does not encrypt (a SOPS file that is not valid YAML/JSON/dotenv/INI).
 */
async function seal(
  ctx: SealContext,
  path: string,
  rule: SecretRule,
  plaintext: Uint8Array,
  sopsSource: Uint8Array | undefined,
): Promise<Uint8Array> {
  if (holdsConflictMarkers(plaintext))
    throw new UserError(
      `${path}: still holds conflict markers`,
      'resolve the conflict in the editor (keep one side, or both, and remove the marker lines)',
    )
  try {
    return concat(await sealPlaintext(ctx, path, rule, plaintext, { sopsSource }))
  } catch (e) {
    if (e instanceof SopsError)
      throw new UserError(
        `${path}: does not encrypt as a SOPS ${path.slice(path.lastIndexOf('.') + 1)} file: ${e.message}`,
        'fix it in the editor (sops reads it with the same rules)',
      )
    throw e
  }
}

/**
 * Writes bytes to a work-tree file through a temporary file beside it and a rename, so the file
 * is never seen half written; never through a symbolic link. A new file (and its missing
 * directories) is created; a new file is 0600, an existing one keeps its mode.
 * @throws {UserError} when a directory on the way is a link; {Error} when writing fails.
 */
export function writeWorktreeFile(root: string, path: string, bytes: Uint8Array): void {
  const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : ''
  if (hasLinkOnTheWay(root, parent))
    throw new UserError(
      `${path}: a directory on the way to it is a symbolic link`,
      'git-seal never writes a secret through a link',
    )
  if (parent) mkdirSync(resolve(root, parent), { recursive: true })
  const target = resolve(root, path)
  let mode = 0o600
  try {
    const fd = openSync(target, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0))
    try {
      mode = fstatSync(fd).mode & 0o7777
    } finally {
      closeSync(fd)
    }
  } catch {
    // no file yet (or not one we could open): a new secret is readable by its owner only
  }
  const temporary = resolve(root, parent, `.${basename(path)}.git-seal-${randomBytes(6).toString('hex')}`)
  const fd = openSync(
    temporary,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0),
    mode,
  )
  try {
    let done = 0
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done)
    closeSync(fd)
    renameSync(temporary, target)
  } catch (e) {
    try {
      closeSync(fd)
    } catch {
      // already closed before the rename failed
    }
    rmSync(temporary, { force: true })
    throw e
  }
}

/**
 * Edits one secret (see the top of this file).
 * @throws {UserError} when no rule covers `path`, the file cannot be decrypted or is not a
 *   regular file, the editor fails, or the edited text does not encrypt and the session gives up;
 *   {ConfigError} when two secrets match it or the config is invalid.
 */
export async function editSecret(ctx: SealContext, path: string, session: EditSession): Promise<EditResult> {
  const rule = findSecret(ctx.worktreeConfig.get(), path)
  if (!rule) {
    throw new UserError(
      `${path}: no secret in .gitseal.yaml covers this path`,
      "add a path pattern for it to a secret in .gitseal.yaml, or name a file one covers ('git-seal status' lists them)",
    )
  }
  const { bytes } = readWorktreeFile(ctx.root, path)
  let original: Uint8Array = new Uint8Array()
  let heldCiphertext = false
  let sopsSource: Uint8Array | undefined
  if (bytes !== null && bytes.length > 0) {
    const opened = openBytes(ctx, path, bytes, 'the work-tree file')
    original = opened.plaintext
    heldCiphertext = opened.kind !== 'plaintext'
    // The document the values came from: its data key and unchanged values' ciphertext are kept.
    if (opened.kind === 'sops') sopsSource = bytes
  }
  const writeCiphertext = heldCiphertext || keepsCiphertext(rule) || ctx.locked
  let parent: string
  try {
    parent = userPrivateParent(ctx.env)
  } catch (e) {
    throw new UserError(
      `no safe place outside the repository for the plaintext: ${(e as Error).message}`,
      'remove that directory (someone else may have made it), or set XDG_RUNTIME_DIR to a directory only you can read',
    )
  }
  // A cheap place to clear what a SIGKILLed earlier edit left: one readdir.
  sweepPrivateDirs(parent)
  const dir = createPrivateDir(parent, 'edit')
  let edited: Buffer | null = null
  try {
    // In a directory of its own, named like the secret: the owner record sits beside it.
    mkdirSync(join(dir.path, 'file'), { mode: 0o700 })
    const file = writePrivateFile(dir, join('file', basename(path)), original)
    for (;;) {
      await session.edit(file)
      edited?.fill(0)
      edited = readFileSync(file)
      if (bytes === null && edited.length === 0) return { action: 'not-created', path }
      if (bytes !== null && equalBytes(edited, original)) return { action: 'unchanged', path }
      let sealed: Uint8Array
      try {
        sealed = await seal(ctx, path, rule, edited, sopsSource)
      } catch (e) {
        if (e instanceof UserError && (await session.retry(e))) continue
        if (e instanceof UserError) throw new UserError(`${e.message}; nothing was written`, e.hint)
        throw e
      }
      writeWorktreeFile(ctx.root, path, writeCiphertext ? sealed : edited)
      return {
        action: 'written',
        path,
        created: bytes === null,
        worktree: writeCiphertext ? 'ciphertext' : 'plaintext',
        format: effectiveFormat(rule, path),
      }
    }
  } finally {
    dir.remove()
    edited?.fill(0)
    if (heldCiphertext) original.fill?.(0)
  }
}
