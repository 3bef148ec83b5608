/**
 * Moving a git-crypt repository to git-seal: every file git-crypt encrypts is decrypted from
 * the index with git-crypt's key (an exported key file, or the one `git-crypt unlock` left in
 * the git directory), re-encrypted to the recipients `.gitseal.yaml` gives, and staged; the
 * git-crypt lines of every tracked `.gitattributes` are removed and git-seal's block written.
 * Nothing is staged unless every file could be re-encrypted: one commit-ready index or none.
 *
 * git-crypt's format (learnt from its key.cpp, commands.cpp and crypto.cpp; no code taken):
 * - A key file starts `\0GITCRYPTKEY`, a big-endian u32 format version (2), header fields
 *   (id, length, value; id 0 ends them; 1 is the key name), then key entries, each a list of
 *   fields (1: version u32, 3: the AES-256 key, 5: the 64-byte HMAC key, 0 ends the entry).
 *   An odd unknown id is critical (refuse), an even one is skipped. Keys from before 0.4 are
 *   the raw 32 + 64 bytes with no header.
 * - An encrypted file is `\0GITCRYPT\0`, a 12-byte nonce, then the plaintext under AES-256-CTR
 *   whose counter block is the nonce followed by a big-endian u32 block number from 0. The
 *   nonce is the first 12 bytes of HMAC-SHA1(hmac key, plaintext): decrypting and recomputing
 *   it authenticates the file (a wrong key or a damaged blob fails here).
 */
import { createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto'
import { existsSync, lstatSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  CONFIG_FILE,
  effectiveFormat,
  findSecret,
  matchingSecrets,
  updateAttributes,
  type SealConfig,
  type SecretRule,
} from '../config/index.js'
import { checkAttrs } from '../git/attributes.js'
import { configDrift } from '../git/install.js'
import { GITLINK_MODE, SYMLINK_MODE, lsFilesStage, stagePaths, type IndexEntry } from '../git/plumbing.js'
import { filesHoldingStoredBytes, checkoutAgain } from '../git/worktree.js'
import { sealPlaintext } from '../seal/clean.js'
import { SealContext } from '../seal/context.js'
import { concat } from '../seal/input.js'
import { stageBlobs } from '../seal/rekey.js'
import { configuredKeys } from '../seal/sops.js'
import { storedKind } from '../seal/stored.js'
import { UserError } from '../ui.js'
import { bareRepositoryError } from '../errors.js'

const KEY_MAGIC = Buffer.from('\0GITCRYPTKEY', 'latin1')
const KEY_FORMAT_VERSION = 2
const FILE_MAGIC = Buffer.from('\0GITCRYPT\0', 'latin1')
const NONCE_LEN = 12
const AES_KEY_LEN = 32
const HMAC_KEY_LEN = 64
/** git-crypt refuses fields longer than this; so do we (a hostile file cannot make us allocate more). */
const MAX_FIELD_LEN = 1 << 20
const KEY_NAME_MAX_LEN = 128

/** One key of a git-crypt key file. */
export interface GitCryptKeyEntry {
  version: number
  aesKey: Buffer
  hmacKey: Buffer
}

/** A git-crypt key file: its name (null for the default key) and its entries. */
export interface GitCryptKey {
  name: string | null
  entries: GitCryptKeyEntry[]
  /** where it was read from, for messages */
  source: string
}

/** A key file git-crypt would not load either. */
export class GitCryptKeyError extends UserError {
  constructor(source: string, why: string) {
    super(
      `${source} is not a git-crypt key file: ${why}`,
      "export the key in an unlocked clone with 'git-crypt export-key FILE', or unlock with 'git-crypt unlock' and run this without KEYFILE",
    )
    this.name = 'GitCryptKeyError'
  }
}

/** Reads big-endian u32 fields from a buffer, failing on truncation. */
class FieldReader {
  offset = 0
  constructor(
    private readonly bytes: Buffer,
    private readonly source: string,
  ) {}
  get done(): boolean {
    return this.offset >= this.bytes.length
  }
  u32(): number {
    if (this.offset + 4 > this.bytes.length) throw new GitCryptKeyError(this.source, 'truncated')
    const value = this.bytes.readUInt32BE(this.offset)
    this.offset += 4
    return value
  }
  take(length: number): Buffer {
    if (length > MAX_FIELD_LEN || this.offset + length > this.bytes.length)
      throw new GitCryptKeyError(this.source, 'truncated or oversized field')
    const value = this.bytes.subarray(this.offset, this.offset + length)
    this.offset += length
    return value
  }
}

/**
 * Parses a git-crypt key file (format 2, or the headerless legacy format).
 * @throws {GitCryptKeyError} when it is malformed, of another format version, or has a critical field we do not know.
 */
export function parseGitCryptKey(bytes: Buffer, source: string): GitCryptKey {
  if (!bytes.subarray(0, KEY_MAGIC.length).equals(KEY_MAGIC)) {
    // Before git-crypt 0.4: the two keys, nothing else.
    if (bytes.length === AES_KEY_LEN + HMAC_KEY_LEN) {
      return {
        name: null,
        source,
        entries: [
          {
            version: 0,
            aesKey: Buffer.from(bytes.subarray(0, AES_KEY_LEN)),
            hmacKey: Buffer.from(bytes.subarray(AES_KEY_LEN)),
          },
        ],
      }
    }
    throw new GitCryptKeyError(source, "it does not start with git-crypt's key header")
  }
  const reader = new FieldReader(bytes, source)
  reader.take(KEY_MAGIC.length)
  const format = reader.u32()
  if (format !== KEY_FORMAT_VERSION)
    throw new GitCryptKeyError(source, `format version ${format}, and git-seal reads version ${KEY_FORMAT_VERSION}`)
  let name: string | null = null
  for (;;) {
    const id = reader.u32()
    if (id === 0) break
    const value = reader.take(reader.u32())
    if (id === 1) {
      if (value.length > KEY_NAME_MAX_LEN || !/^[A-Za-z0-9_-]+$/.test(value.toString('latin1')))
        throw new GitCryptKeyError(source, 'invalid key name')
      name = value.toString('latin1')
    } else if (id & 1) throw new GitCryptKeyError(source, `unknown critical header field ${id}`)
  }
  const entries: GitCryptKeyEntry[] = []
  while (!reader.done) {
    let version = 0
    let aesKey: Buffer | null = null
    let hmacKey: Buffer | null = null
    for (;;) {
      const id = reader.u32()
      if (id === 0) break
      const length = reader.u32()
      const value = reader.take(length)
      if (id === 1 && length === 4) version = value.readUInt32BE(0)
      else if (id === 3 && length === AES_KEY_LEN) aesKey = Buffer.from(value)
      else if (id === 5 && length === HMAC_KEY_LEN) hmacKey = Buffer.from(value)
      else if (id === 1 || id === 3 || id === 5) throw new GitCryptKeyError(source, `field ${id} has length ${length}`)
      else if (id & 1) throw new GitCryptKeyError(source, `unknown critical key field ${id}`)
    }
    if (!aesKey || !hmacKey) throw new GitCryptKeyError(source, 'a key entry lacks its AES or HMAC key')
    entries.push({ version, aesKey, hmacKey })
  }
  if (entries.length === 0) throw new GitCryptKeyError(source, 'it holds no key')
  return { name, entries, source }
}

/** True when a blob is a file git-crypt encrypted (its header and a nonce). */
export function isGitCryptBlob(bytes: Uint8Array): boolean {
  return (
    bytes.length >= FILE_MAGIC.length + NONCE_LEN &&
    Buffer.from(bytes.buffer, bytes.byteOffset, FILE_MAGIC.length).equals(FILE_MAGIC)
  )
}

/**
 * Decrypts a git-crypt file with the first key entry whose HMAC authenticates the result.
 * @returns the plaintext, or null when no key given opens it (a wrong key, or a damaged blob).
 */
export function decryptGitCryptBlob(bytes: Uint8Array, keys: readonly GitCryptKey[]): Uint8Array | null {
  if (!isGitCryptBlob(bytes)) return null
  const nonce = bytes.subarray(FILE_MAGIC.length, FILE_MAGIC.length + NONCE_LEN)
  const body = bytes.subarray(FILE_MAGIC.length + NONCE_LEN)
  // git-crypt's counter block: the nonce, then a big-endian block number from 0; node's CTR mode
  // increments the whole 128-bit block, the same as long as the low 32 bits do not wrap (64 GiB).
  const iv = Buffer.concat([nonce, Buffer.alloc(4)])
  for (const key of keys) {
    for (const entry of key.entries) {
      const decipher = createDecipheriv('aes-256-ctr', entry.aesKey, iv)
      const plaintext = Buffer.concat([decipher.update(body), decipher.final()])
      const mac = createHmac('sha1', entry.hmacKey).update(plaintext).digest().subarray(0, NONCE_LEN)
      if (timingSafeEqual(mac, nonce)) return plaintext
      plaintext.fill(0)
    }
  }
  return null
}

/**
 * Removes git-crypt's attributes (`filter`, `diff` and `merge` set to `git-crypt` or
 * `git-crypt-NAME`) from a .gitattributes text; a line left with a pattern only is dropped.
 * Everything else (comments, macros, other attributes) is kept as written.
 * @returns the new text, and the patterns whose lines held git-crypt attributes.
 */
export function withoutGitCrypt(text: string): { text: string; patterns: string[] } {
  const patterns: string[] = []
  const lines = text.split('\n')
  const kept: string[] = []
  for (const line of lines) {
    const trimmed = line.trimStart()
    if (trimmed === '' || trimmed.startsWith('#')) {
      kept.push(line)
      continue
    }
    const patternEnd = patternLength(trimmed)
    const pattern = trimmed.slice(0, patternEnd)
    const attributes = trimmed
      .slice(patternEnd)
      .trim()
      .split(/[ \t]+/)
      .filter(Boolean)
    const others = attributes.filter((a) => !/^(filter|diff|merge)=git-crypt(-[A-Za-z0-9_-]+)?$/.test(a))
    if (others.length === attributes.length) {
      kept.push(line)
      continue
    }
    patterns.push(pattern)
    if (others.length > 0) kept.push(`${line.slice(0, line.length - trimmed.length)}${pattern} ${others.join(' ')}`)
  }
  return { text: kept.join('\n'), patterns }
}

/** Length of the pattern at the start of a .gitattributes line (git's C-style quoting included). */
function patternLength(line: string): number {
  if (line.startsWith('"')) {
    for (let i = 1; i < line.length; i++) {
      if (line[i] === '\\') i++
      else if (line[i] === '"') return i + 1
    }
    return line.length
  }
  const m = /[ \t]/.exec(line)
  return m ? m.index : line.length
}

/** What the import did, file by file. */
export interface ImportReport {
  /** re-encrypted and staged */
  imported: { path: string; secret: string; format: 'age' | 'sops' }[]
  /** stored in plaintext under a git-crypt attribute: staged encrypted now, readable in history */
  wasPlaintext: string[]
  /** already git-seal ciphertext (a second run): left as they are */
  alreadySealed: string[]
  /** .gitattributes files rewritten (and staged) */
  attributesFiles: string[]
  /** files whose work tree held git-crypt ciphertext and were checked out again */
  checkedOut: string[]
  /** where the keys came from */
  keySources: string[]
}

/**
 * Reads the keys git-crypt keeps for an unlocked repository (`<git dir>/git-crypt/keys/NAME`),
 * in this worktree's git dir and the common one.
 * @throws {GitCryptKeyError} when one of them is malformed.
 */
export function unlockedKeys(gitDirs: readonly string[]): GitCryptKey[] {
  const keys: GitCryptKey[] = []
  for (const dir of new Set(gitDirs.map((d) => join(d, 'git-crypt', 'keys')))) {
    if (!existsSync(dir)) continue
    for (const name of readdirSync(dir).sort()) {
      const file = join(dir, name)
      if (!lstatSync(file).isFile()) continue
      keys.push(parseGitCryptKey(readFileSync(file), file))
    }
  }
  return keys
}

/** The `filter` value git-crypt gives its files: `git-crypt`, or `git-crypt-NAME` for a named key. */
function isGitCryptAttribute(value: string | undefined): boolean {
  return value !== undefined && /^git-crypt(-[A-Za-z0-9_-]+)?$/.test(value)
}

/** A suggested rule for the paths no secret covers, in the config's own syntax. */
function ruleSuggestion(config: SealConfig, patterns: string[]): string {
  const group = config.groups[0]?.name ?? 'default'
  const quoted = [...new Set(patterns)].map((p) => JSON.stringify(p))
  return `add a secret covering them to ${CONFIG_FILE}, e.g. under groups.${group}.secrets:\n  git-crypt:\n    path: [${quoted.join(', ')}]`
}

/**
 * Imports a git-crypt repository into git-seal: see the file comment. Needs git-seal installed
 * in this clone (so the work tree stays consistent) and a `.gitseal.yaml` whose rules cover
 * every git-crypt file.
 * @throws {UserError} when there is no work tree or config, git-seal is not installed, no key
 *   is available, a file is covered by no rule, a key opens no file, the index has unresolved
 *   conflicts, or a file cannot be encrypted; nothing is staged then.
 * @throws {GitCryptKeyError} when a key file is malformed.
 */
export async function importGitCrypt(ctx: SealContext, keyFiles: readonly string[]): Promise<ImportReport> {
  const root = ctx.root
  if (!ctx.paths.top) throw bareRepositoryError()
  const config = ctx.worktreeConfig.get()
  if (configDrift(root).missing.length > 0) {
    throw new UserError(
      'git-seal is not installed in this clone',
      "run 'git-seal install' first: without the filter, the imported files would be re-added in plaintext",
    )
  }
  const keys =
    keyFiles.length > 0
      ? keyFiles.map((f) => parseGitCryptKey(readKeyFile(f), f))
      : unlockedKeys([ctx.paths.gitDir, ctx.paths.commonDir])

  const entries = lsFilesStage(root).filter((e) => e.mode !== GITLINK_MODE && e.mode !== SYMLINK_MODE)
  const unmerged = [...new Set(entries.filter((e) => e.stage !== 0).map((e) => e.path))]
  if (unmerged.length > 0)
    throw new UserError(
      `the index has unresolved conflicts: ${unmerged.slice(0, 5).join(', ')}`,
      'resolve them and git add the files, then import',
    )
  // Which files git-crypt owns: its filter by the staged attributes, or by the work tree's when
  // git-seal's block (written by `init`) now outranks git-crypt's lines there; and any blob in
  // git-crypt's format at a path the config makes a secret.
  const paths = entries.map((e) => e.path)
  const cached = checkAttrs(root, ['filter'], paths, { cached: true })
  const current = checkAttrs(root, ['filter'], paths)
  const candidates = entries.filter(
    (e) =>
      isGitCryptAttribute(cached.get(e.path)?.get('filter')) ||
      isGitCryptAttribute(current.get(e.path)?.get('filter')) ||
      matchingSecrets(config, e.path).length > 0,
  )

  const report: ImportReport = {
    imported: [],
    wasPlaintext: [],
    alreadySealed: [],
    attributesFiles: [],
    checkedOut: [],
    keySources: keys.map((k) => k.source),
  }
  const toImport: { entry: IndexEntry; plaintext: Uint8Array | null; content: Buffer }[] = []
  // All blobs asked at once: one cat-file, pipelined.
  const objects = await Promise.all(candidates.map((e) => ctx.stored.objects.get(e.oid)))
  candidates.forEach((entry, i) => {
    const object = objects[i]
    if (!object) throw new UserError(`${entry.path}: blob ${entry.oid} is missing`, "run 'git fsck'")
    const gitCryptAttribute =
      isGitCryptAttribute(cached.get(entry.path)?.get('filter')) ||
      isGitCryptAttribute(current.get(entry.path)?.get('filter'))
    if (isGitCryptBlob(object.content)) toImport.push({ entry, plaintext: null, content: object.content })
    else if (!gitCryptAttribute)
      return // a git-seal secret of its own: not ours to touch
    else if (object.content.length > 0 && storedKind(entry.path, object.content) !== 'plaintext')
      report.alreadySealed.push(entry.path)
    else toImport.push({ entry, plaintext: object.content, content: object.content })
  })

  const uncovered = toImport.filter((f) => findSecret(config, f.entry.path) === null).map((f) => f.entry.path)
  if (uncovered.length > 0) {
    throw new UserError(
      `no secret in ${CONFIG_FILE} covers ${uncovered.length} file(s) git-crypt encrypts: ${uncovered.slice(0, 10).join(', ')}${uncovered.length > 10 ? ', …' : ''}`,
      ruleSuggestion(config, gitCryptPatterns(root, entries) ?? uncovered),
    )
  }
  const encrypted = toImport.filter((f) => f.plaintext === null)
  if (encrypted.length > 0 && keys.length === 0) {
    throw new UserError(
      'this git-crypt repository is locked and no key file was given',
      "give the key exported with 'git-crypt export-key FILE' (git-seal import-git-crypt FILE), or run 'git-crypt unlock' first",
    )
  }

  // Every file encrypted before anything is staged: one commit-ready index, or none.
  const staged: Parameters<typeof stageBlobs>[1] = []
  const failures: string[] = []
  for (const file of toImport) {
    const path = file.entry.path
    const rule = findSecret(config, path) as SecretRule
    const plaintext = file.plaintext ?? decryptGitCryptBlob(file.content, keys)
    if (plaintext === null) {
      failures.push(`${path}: none of the git-crypt keys given opens it (another key, or a damaged blob)`)
      continue
    }
    try {
      const format = effectiveFormat(rule, path)
      const blob = concat(await sealPlaintext(ctx, path, rule, plaintext))
      staged.push({ entry: file.entry, blob, format, recipients: configuredKeys(rule, format) })
      report.imported.push({ path, secret: rule.name, format })
      if (file.plaintext !== null && plaintext.length > 0) report.wasPlaintext.push(path)
    } catch (e) {
      failures.push(`${path}: ${(e as Error).message}`)
    } finally {
      if (file.plaintext === null) plaintext.fill(0)
    }
  }
  if (failures.length > 0) {
    throw new UserError(
      `nothing imported: ${failures.length} file(s) could not be re-encrypted:\n  ${failures.join('\n  ')}`,
      "check the key ('git-crypt export-key' in a clone that decrypts them) and the secret rules, then run the import again",
    )
  }

  // Work-tree files still holding git-crypt's ciphertext (a locked clone) are checked out again
  // through git-seal once the index points at the new blobs.
  const locked = filesHoldingStoredBytes(
    root,
    staged.map((s) => s.entry),
  ).map((e) => e.path)
  stageBlobs(ctx, staged)
  // Plaintext MACs, so `git status` in an unlocked clone sees the new blobs as unchanged.
  ctx.runDeferred()
  ctx.stored.records.flush()
  ctx.stored.plaintextMacs.flush()

  report.attributesFiles = rewriteAttributes(root, entries, config)
  stagePaths(root, [...new Set(['.gitattributes', ...report.attributesFiles]), CONFIG_FILE])
  report.checkedOut = checkoutAgain(root, locked)
  return report
}

function readKeyFile(file: string): Buffer {
  try {
    return readFileSync(file)
  } catch (e) {
    throw new UserError(
      `cannot read the key file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      "export it in an unlocked clone with 'git-crypt export-key FILE'",
    )
  }
}

/** Tracked .gitattributes files, the top one first (created when missing). */
function attributesFiles(entries: IndexEntry[]): string[] {
  const nested = entries
    .filter((e) => e.stage === 0 && (e.path === '.gitattributes' || e.path.endsWith('/.gitattributes')))
    .map((e) => e.path)
  return ['.gitattributes', ...nested.filter((p) => p !== '.gitattributes')]
}

/** The patterns git-crypt's lines name, across the tracked .gitattributes files; null when none. */
function gitCryptPatterns(root: string, entries: IndexEntry[]): string[] | null {
  const patterns: string[] = []
  for (const file of attributesFiles(entries)) {
    const text = readText(join(root, file))
    if (text === null) continue
    const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/') + 1) : ''
    // A pattern in a nested file is relative to its directory; without a '/' it matches at any depth there.
    for (const p of withoutGitCrypt(text).patterns) {
      if (!dir) patterns.push(p)
      else if (p.startsWith('/')) patterns.push(dir + p.slice(1))
      else patterns.push(dir + (p.includes('/') ? p : `**/${p}`))
    }
  }
  return patterns.length > 0 ? patterns : null
}

function readText(file: string): string | null {
  try {
    return lstatSync(file).isFile() ? readFileSync(file, 'utf8') : null
  } catch {
    return null // missing: nothing to rewrite there
  }
}

/**
 * Drops git-crypt's attributes from each tracked .gitattributes (the work tree's copy) and
 * writes git-seal's block in the top one.
 * @returns the files changed.
 */
function rewriteAttributes(root: string, entries: IndexEntry[], config: SealConfig): string[] {
  const changed: string[] = []
  for (const file of attributesFiles(entries)) {
    const full = join(root, file)
    const before = readText(full)
    if (before === null && file !== '.gitattributes') continue
    let after = withoutGitCrypt(before ?? '').text
    if (file === '.gitattributes') after = updateAttributes(after, config)
    if (after === before) continue
    writeFileSync(full, after)
    changed.push(file)
  }
  return changed
}

/**
 * {@link importGitCrypt} in the repository at `cwd`, with a context of its own.
 * @throws the same as {@link importGitCrypt}.
 */
export async function importGitCryptHere(
  keyFiles: readonly string[],
  cwd: string = process.cwd(),
): Promise<ImportReport> {
  const ctx = SealContext.open(cwd)
  try {
    return await importGitCrypt(ctx, keyFiles)
  } finally {
    ctx.close()
  }
}
