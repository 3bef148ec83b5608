/**
 * HEAD's blobs (path -> blob id) for clean, without a `git ls-tree -r HEAD` child on every
 * filter start: HEAD is resolved in-process (refs files: HEAD, a loose ref, packed-refs) and the
 * listing of that commit is kept in the state directory, keyed by the commit id. A commit's
 * tree never changes, so a listing filed under its id is right for as long as that id is HEAD;
 * a new commit, a checkout or a reset moves HEAD and the next start lists the new commit once.
 *
 * Why: the child costs a process spawn (~3-4 ms) on every `git add` and `git status` that
 * cleans a secret (issue 16, target 2). Whatever is unusual (reftable, a symbolic ref to a
 * symbolic ref, an unreadable file, a listing that does not parse) takes the safe path: list
 * with git, as before. The listing holds paths and blob ids, nothing secret.
 *
 * Refs storage: https://git-scm.com/docs/gitrepository-layout (HEAD, refs/, packed-refs).
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { readLooseObject } from './objects.js'
import { lsTreeBytes, parseLsTree } from './plumbing.js'
import type { RepoPaths } from './repo.js'
import type { StateDirectory } from './state-dir.js'

/** What HEAD is, read from the files: a commit, an unborn branch, or unknown (ask git). */
export type HeadState = { commit: string } | { unborn: true } | null

const OID = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/

/**
 * HEAD read from the ref files without git. Null whenever the answer is not certain from
 * plain files: a reftable repository, HEAD naming a ref outside refs/heads/, a loose ref
 * that is itself symbolic, an unreadable or malformed file.
 */
export function readHead(paths: RepoPaths): HeadState {
  try {
    if (existsSync(join(paths.commonDir, 'reftable'))) return null
    const head = readFileSync(join(paths.gitDir, 'HEAD'), 'utf8').trim()
    if (OID.test(head)) return { commit: head }
    const ref = /^ref: (refs\/heads\/\S+)$/.exec(head)?.[1]
    if (ref === undefined || ref.split('/').some((part) => part === '..' || part === '.' || part === '')) return null
    let loose: string | null = null
    try {
      loose = readFileSync(join(paths.commonDir, ref), 'utf8').trim()
    } catch (e) {
      // Not a loose ref: look in packed-refs. Anything other than "no such file" is a doubt.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return null
    }
    if (loose !== null) return OID.test(loose) ? { commit: loose } : null
    return packedRef(paths.commonDir, ref)
  } catch {
    return null
  }
}

/** A branch in packed-refs (`OID SP refname` lines), or an unborn branch when it is not there either. */
function packedRef(commonDir: string, ref: string): HeadState {
  let packed: string
  try {
    packed = readFileSync(join(commonDir, 'packed-refs'), 'utf8')
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? { unborn: true } : null
  }
  for (const line of packed.split('\n')) {
    if (line.length > 0 && line[0] !== '#' && line[0] !== '^' && line.endsWith(` ${ref}`)) {
      const oid = line.slice(0, line.indexOf(' '))
      return OID.test(oid) && line.length === oid.length + 1 + ref.length ? { commit: oid } : null
    }
  }
  return { unborn: true }
}

/** The first line of a listing file: a version, and the commit it lists. */
const HEADER = 'git-seal head tree v1 '

/**
 * HEAD's blobs by path: from the listing filed under HEAD's commit when there is one, else
 * from `git ls-tree -r HEAD` (then filed for the next start, when HEAD was read in-process and
 * the state directory exists). Empty on an unborn branch, as git's listing would be.
 */
export function headBlobs(
  root: string,
  paths: RepoPaths,
  state: StateDirectory,
  env: NodeJS.ProcessEnv = process.env,
): Map<string, string> {
  const head = readHead(paths)
  if (head !== null && 'unborn' in head) return new Map()
  const file = state.file('headTree')
  if (head !== null) {
    const filed = readListing(file, head.commit)
    if (filed !== null) return filed
  }
  // Right after a commit (the usual way HEAD moves), its commit and trees are loose objects:
  // read in-process, without the child. Packed ones (a clone, after gc) are listed by git.
  const out =
    (head !== null && !env['GIT_OBJECT_DIRECTORY'] ? looseListing(paths, head.commit) : null) ??
    lsTreeBytes(root, head?.commit ?? 'HEAD', env)
  if (out === null) return new Map()
  const blobs = blobsOf(out.toString('utf8'))
  // Filed only when HEAD was read before listing and is still that commit after (a command
  // may move HEAD meanwhile): the listing is then certainly that commit's.
  if (head !== null && existsSync(state.path)) {
    const after = readHead(paths)
    if (after !== null && 'commit' in after && after.commit === head.commit) writeListing(file, head.commit, out)
  }
  return blobs
}

const SLASH = Buffer.from('/')
const CANONICAL_MODES = new Set(['40000', '100644', '100755', '120000', '160000'])

/** At most this many trees are read in-process; a larger tree is listed by git. */
const MAX_LOOSE_TREES = 64

/**
 * `git ls-tree -r -z --full-tree COMMIT` of blobs (the only entries used here), from loose
 * objects; null when the commit or one of its trees is not a loose object, or when there are
 * more than {@link MAX_LOOSE_TREES} trees. Tree entries are `MODE SP NAME NUL OID` with a raw
 * id (https://git-scm.com/book/en/v2/Git-Internals-Git-Objects).
 */
export function looseListing(paths: RepoPaths, commit: string): Buffer | null {
  const objects = join(paths.commonDir, 'objects')
  const body = readLooseObject(objects, commit, 'commit')
  const tree = body === null ? undefined : /^tree ([0-9a-f]{40}(?:[0-9a-f]{24})?)\n/.exec(body.toString('latin1'))?.[1]
  if (tree === undefined) return null
  const hashLength = tree.length / 2
  const out: Buffer[] = []
  // Names are bytes (git does not require UTF-8): paths stay Buffers until output.
  const pending: [string, Buffer | null][] = [[tree, null]]
  let read = 0
  while (pending.length > 0) {
    const [oid, prefix] = pending.pop()!
    if (++read > MAX_LOOSE_TREES) return null
    const content = readLooseObject(objects, oid, 'tree')
    if (content === null) return null
    for (let at = 0; at < content.length; ) {
      const space = content.indexOf(0x20, at)
      const nul = content.indexOf(0, space)
      if (space < 0 || nul < 0 || nul + 1 + hashLength > content.length) return null
      const mode = content.toString('latin1', at, space)
      const name = content.subarray(space + 1, nul)
      const entry = content.toString('hex', nul + 1, nul + 1 + hashLength)
      at = nul + 1 + hashLength
      const path = prefix === null ? name : Buffer.concat([prefix, SLASH, name])
      // Modes as git writes them; an old tool's non-canonical mode (040000, 100664) is git's to read.
      if (!CANONICAL_MODES.has(mode)) return null
      if (mode === '40000') pending.push([entry, path])
      else if (mode !== '160000')
        out.push(Buffer.from(`${mode.padStart(6, '0')} blob ${entry}\t`), path, Buffer.from([0]))
    }
  }
  return Buffer.concat(out)
}

function blobsOf(listing: string): Map<string, string> {
  const blobs = new Map<string, string>()
  for (const entry of parseLsTree(listing)) if (entry.type === 'blob') blobs.set(entry.path, entry.oid)
  return blobs
}

/** The listing filed for `commit`, or null when the file is missing, for another commit, or damaged. */
function readListing(file: string, commit: string): Map<string, string> | null {
  let bytes: Buffer
  try {
    bytes = readFileSync(file)
  } catch {
    return null
  }
  const newline = bytes.indexOf(0x0a)
  if (newline < 0 || bytes.toString('latin1', 0, newline) !== HEADER + commit) return null
  const body = bytes.toString('utf8', newline + 1)
  // git's -z listing ends every record with NUL: a file cut short ends otherwise.
  if (body.length > 0 && !body.endsWith('\0')) return null
  return blobsOf(body)
}

/** Files a listing atomically (0600, renamed into place), replacing the previous commit's. */
function writeListing(file: string, commit: string, listing: Buffer): void {
  const tmp = `${file}.${process.pid}.tmp`
  try {
    writeFileSync(tmp, Buffer.concat([Buffer.from(`${HEADER}${commit}\n`, 'latin1'), listing]), { mode: 0o600 })
    renameSync(tmp, file)
  } catch {
    // A cache only: the next start lists HEAD with git again.
    rmSync(tmp, { force: true })
  }
}
