/**
 * git plumbing whose output git-seal reads: one function per command, always `-z` (paths may
 * hold newlines, quotes, U+2028…), each with a pure parser that the unit tables feed canned
 * output. Nothing outside src/git/ parses git's text.
 * https://git-scm.com/docs/git-diff-index#_raw_output_format
 */
import { git, gitBytes, gitMaybeBytes, type GitOptions } from './run.js'

/** A mode git gives submodules (gitlinks): their content is another repository's. */
export const GITLINK_MODE = '160000'
/** A mode git gives symbolic links: the blob is the link's target, never followed. */
export const SYMLINK_MODE = '120000'
/** The id of the empty tree in a SHA-1 repository (`git hash-object -t tree /dev/null`). */
export const EMPTY_TREE_SHA1 = '4b825dc642cb6eb9a060e54bf8d69288fbee4904'
/** The same in a SHA-256 repository. */
export const EMPTY_TREE_SHA256 = '6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321'

/** One line of raw diff output (`:srcmode dstmode srcoid dstoid status` NUL path NUL). */
export interface RawChange {
  srcMode: string
  dstMode: string
  srcOid: string
  dstOid: string
  /** A, C, D, M, R, T, U or X (with --no-renames: never R or C) */
  status: string
  path: string
}

/**
 * Parses `-z` raw diff records starting at `fields[i]` (a field beginning with ':').
 * @returns the change and the index of the field after it.
 */
function parseRawRecord(fields: string[], i: number): [RawChange, number] {
  const meta = fields[i]!.replace(/^\n+/, '').slice(1).split(' ')
  const status = meta[4] ?? ''
  // Renames and copies carry two paths; the second is the destination.
  const twoPaths = status.startsWith('R') || status.startsWith('C')
  const path = twoPaths ? (fields[i + 2] ?? '') : (fields[i + 1] ?? '')
  const change: RawChange = {
    srcMode: meta[0] ?? '',
    dstMode: meta[1] ?? '',
    srcOid: meta[2] ?? '',
    dstOid: meta[3] ?? '',
    status: status.charAt(0),
    path,
  }
  return [change, i + (twoPaths ? 3 : 2)]
}

/** Parses `git diff-index -z` (or diff-tree/diff-files) raw output. */
export function parseRawDiff(out: string): RawChange[] {
  const fields = out.split('\0')
  const changes: RawChange[] = []
  for (let i = 0; i < fields.length; ) {
    if (!fields[i]!.replace(/^\n+/, '').startsWith(':')) {
      i++
      continue
    }
    const [change, next] = parseRawRecord(fields, i)
    changes.push(change)
    i = next
  }
  return changes
}

/**
 * `git diff-index --cached -z --no-renames TREEISH`: how the index (GIT_INDEX_FILE respected)
 * differs from a tree. `treeish` null compares with the empty tree (an unborn branch).
 */
export function diffIndexCached(
  root: string,
  treeish: string | null,
  options: { objectFormat?: 'sha1' | 'sha256'; env?: NodeJS.ProcessEnv } = {},
): RawChange[] {
  const base = treeish ?? (options.objectFormat === 'sha256' ? EMPTY_TREE_SHA256 : EMPTY_TREE_SHA1)
  const run: GitOptions = { cwd: root, ...(options.env ? { env: options.env } : {}) }
  return parseRawDiff(gitBytes(['diff-index', '--cached', '-z', '--no-renames', base], run).toString('utf8'))
}

/** One entry of `git ls-tree -z`. */
export interface TreeEntry {
  mode: string
  type: 'blob' | 'tree' | 'commit'
  oid: string
  path: string
}

/** Parses `git ls-tree -z` output (`mode SP type SP oid TAB path` NUL). */
export function parseLsTree(out: string): TreeEntry[] {
  const entries: TreeEntry[] = []
  for (const record of out.split('\0')) {
    const tab = record.indexOf('\t')
    if (tab < 0) continue
    const [mode = '', type = '', oid = ''] = record.slice(0, tab).split(' ')
    if (type !== 'blob' && type !== 'tree' && type !== 'commit') continue
    entries.push({ mode, type, oid, path: record.slice(tab + 1) })
  }
  return entries
}

/**
 * `git ls-tree -r -z --full-tree TREEISH`: every blob and gitlink of a tree, paths from its top.
 * @returns null when `treeish` names no tree (an unborn HEAD).
 */
export function lsTree(root: string, treeish: string, options: { env?: NodeJS.ProcessEnv } = {}): TreeEntry[] | null {
  const out = lsTreeBytes(root, treeish, options.env)
  return out === null ? null : parseLsTree(out.toString('utf8'))
}

/** The raw `git ls-tree -r -z --full-tree TREEISH` output, or null when git fails (no such tree). */
export function lsTreeBytes(root: string, treeish: string, env?: NodeJS.ProcessEnv): Buffer | null {
  return gitMaybeBytes(['ls-tree', '-r', '-z', '--full-tree', treeish], { cwd: root, ...(env ? { env } : {}) })
}

/** One entry of the index, as `git ls-files -s -z` lists it. */
export interface IndexEntry {
  mode: string
  oid: string
  /** 0, or 1-3 for the sides of an unresolved conflict */
  stage: number
  path: string
}

/** Parses `git ls-files -s -z` output (`mode SP oid SP stage TAB path` NUL). */
export function parseLsFilesStage(out: string): IndexEntry[] {
  const entries: IndexEntry[] = []
  for (const record of out.split('\0')) {
    const tab = record.indexOf('\t')
    if (tab < 0) continue
    const [mode = '', oid = '', stage = '0'] = record.slice(0, tab).split(' ')
    entries.push({ mode, oid, stage: Number(stage), path: record.slice(tab + 1) })
  }
  return entries
}

/** `git ls-files -s -z` of the index (GIT_INDEX_FILE respected), optionally limited to literal paths. */
export function lsFilesStage(root: string, paths: string[] = []): IndexEntry[] {
  const specs = paths.map((p) => `:(literal)${p}`)
  return parseLsFilesStage(gitBytes(['ls-files', '-s', '-z', '--', ...specs], { cwd: root }).toString('utf8'))
}

/** `git ls-files -z --cached --others --exclude-standard`: tracked paths and untracked ones not ignored, each once. */
export function lsFilesTrackedAndUntracked(root: string): string[] {
  const out = gitBytes(['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root }).toString('utf8')
  return [...new Set(out.split('\0').filter(Boolean))]
}

/** The changes one commit makes, as `git log --raw` shows them (a merge: against each parent, joined). */
export interface CommitChanges {
  commit: string
  changes: RawChange[]
}

const COMMIT_PREFIX = 'commit '

/** Parses `git log -z --raw --format='commit %H'` output. */
export function parseLogRaw(out: string): CommitChanges[] {
  const fields = out.split('\0')
  const commits: CommitChanges[] = []
  let current: CommitChanges | null = null
  for (let i = 0; i < fields.length; ) {
    const field = fields[i]!.replace(/^\n+/, '')
    if (field.startsWith(COMMIT_PREFIX)) {
      // With -m a merge is listed once per parent, one after the other: join them.
      const commit = field.slice(COMMIT_PREFIX.length).trim()
      const last = commits.at(-1)
      if (last?.commit === commit) current = last
      else {
        current = { commit, changes: [] }
        commits.push(current)
      }
      i++
      continue
    }
    if (field.startsWith(':') && current) {
      const [change, next] = parseRawRecord(fields, i)
      current.changes.push(change)
      i = next
      continue
    }
    i++
  }
  return commits
}

/**
 * `git log -z --raw -m --root --no-renames` over `revArgs`: each commit's changes, merges
 * against every parent and root commits against the empty tree (whatever log.showRoot says).
 */
export function logRaw(root: string, revArgs: string[], options: { diffFilter?: string } = {}): CommitChanges[] {
  const args = ['log', '-z', '--raw', '-m', '--root', '--no-renames', '--no-abbrev', `--format=${COMMIT_PREFIX}%H`]
  if (options.diffFilter) args.push(`--diff-filter=${options.diffFilter}`)
  return parseLogRaw(gitBytes([...args, ...revArgs, '--'], { cwd: root }).toString('utf8'))
}

/** A commit and its root tree. */
export interface CommitAndTree {
  commit: string
  tree: string
}

/** Parses `git log --format='%H %T'` output. */
export function parseCommitsWithTrees(out: string): CommitAndTree[] {
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [commit = '', tree = ''] = line.split(' ')
      return { commit, tree }
    })
}

/** `git log --format='%H %T' REVARGS`: commits in log order with their trees. */
export function commitsWithTrees(root: string, revArgs: string[]): CommitAndTree[] {
  return parseCommitsWithTrees(gitBytes(['log', '--format=%H %T', ...revArgs, '--'], { cwd: root }).toString('utf8'))
}

/** A commit and its parents, as `git rev-list --parents` lists them. */
export interface CommitParents {
  commit: string
  /** none for a root commit; two or more for a merge */
  parents: string[]
}

/** Parses `git rev-list --parents` output (`commit parent...` per line; ids hold no separator). */
export function parseRevListParents(out: string): CommitParents[] {
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [commit = '', ...parents] = line.split(' ')
      return { commit, parents }
    })
}

/**
 * `git rev-list --parents REVARGS --`: every commit `revArgs` select (e.g. `new`, `^old`, or
 * `--all`), each with its parents. Real parents: no paths are given, so no history
 * simplification.
 * @throws {GitError} when a revision is unknown.
 */
export function revListParents(root: string, revArgs: string[]): CommitParents[] {
  return parseRevListParents(gitBytes(['rev-list', '--parents', ...revArgs, '--'], { cwd: root }).toString('utf8'))
}

/** What `git cat-file --batch-check` says of an object name that names an object. */
export interface ObjectInfo {
  oid: string
  type: 'blob' | 'tree' | 'commit' | 'tag'
  size: number
}

const BATCH_CHECK_LINE = /^([0-9a-f]{40}|[0-9a-f]{64}) (blob|tree|commit|tag) (\d+)$/

/**
 * Parses `git cat-file --batch-check` output: one line per name asked, `oid type size`, or
 * `NAME missing` / `NAME ambiguous` (null here).
 */
export function parseCatFileBatchCheck(out: string, count: number): (ObjectInfo | null)[] {
  const lines = out.split('\n')
  const infos: (ObjectInfo | null)[] = []
  for (let i = 0; i < count; i++) {
    const m = BATCH_CHECK_LINE.exec(lines[i] ?? '')
    infos.push(m ? { oid: m[1]!, type: m[2] as ObjectInfo['type'], size: Number(m[3]) } : null)
  }
  return infos
}

/**
 * `git cat-file --batch-check` over many object names in one process: `REV:path`, `OID^{}`
 * (peeled through tags), `refs/heads/main^{commit}`… A name holding a newline cannot be asked
 * (the protocol is line-based) and answers null, as a missing object does.
 */
export function catFileBatchCheck(root: string, names: string[]): (ObjectInfo | null)[] {
  const asked = names.filter((n) => !n.includes('\n'))
  const infos =
    asked.length === 0
      ? []
      : parseCatFileBatchCheck(
          gitBytes(['cat-file', '--batch-check'], { cwd: root, input: asked.map((n) => n + '\n').join('') }).toString(
            'utf8',
          ),
          asked.length,
        )
  let next = 0
  return names.map((n) => (n.includes('\n') ? null : (infos[next++] ?? null)))
}

/** One ref, as `git for-each-ref` lists it: the object it points at, unpeeled. */
export interface RefEntry {
  ref: string
  oid: string
  type: 'blob' | 'tree' | 'commit' | 'tag'
}

const REF_FORMAT = '%(objectname)%00%(objecttype)%00%(refname)%00'

/** Parses `git for-each-ref --format='%(objectname)%00%(objecttype)%00%(refname)%00'` output. */
export function parseForEachRef(out: string): RefEntry[] {
  // git ends each record with a newline after the format's last NUL.
  const fields = out.split('\0').map((f) => f.replace(/^\n/, ''))
  const refs: RefEntry[] = []
  for (let i = 0; i + 2 < fields.length; i += 3) {
    refs.push({ oid: fields[i]!, type: fields[i + 1] as RefEntry['type'], ref: fields[i + 2]! })
  }
  return refs
}

/** `git for-each-ref`: every ref (under `patterns` when given), with the object it points at. */
export function forEachRef(root: string, patterns: string[] = []): RefEntry[] {
  return parseForEachRef(
    gitBytes(['for-each-ref', `--format=${REF_FORMAT}`, ...patterns], { cwd: root }).toString('utf8'),
  )
}

/** `git symbolic-ref -q NAME`: the ref that NAME (e.g. HEAD) points to, or null when it is detached or no symbolic ref. */
export function symbolicRef(root: string, name: string): string | null {
  const out = gitMaybeBytes(['symbolic-ref', '-q', name], { cwd: root })
  const ref = out?.toString('utf8').replace(/\n$/, '') ?? ''
  return ref === '' ? null : ref
}

/** Revision arguments as git reads them: `A..B` is B and ^A. */
export interface ParsedRevs {
  positive: string[]
  negative: string[]
  /** lines that are no object id: a path, or an option git passed through */
  other: string[]
}

const REV_LINE = /^(\^?)([0-9a-f]{40}|[0-9a-f]{64})$/

/** Parses `git rev-parse REV` output: one id a line, `^id` for an excluded one. */
export function parseRevParse(out: string): ParsedRevs {
  const revs: ParsedRevs = { positive: [], negative: [], other: [] }
  for (const line of out.split('\n').filter(Boolean)) {
    const m = REV_LINE.exec(line)
    if (!m) revs.other.push(line)
    else if (m[1]) revs.negative.push(m[2]!)
    else revs.positive.push(m[2]!)
  }
  return revs
}

/**
 * `git rev-parse REV`: a revision or range (`A..B`, `A...B`, `B ^A`, `C^!`) as ids.
 * @throws {GitError} when git does not know a revision.
 */
export function revParse(root: string, rev: string): ParsedRevs {
  return parseRevParse(gitBytes(['rev-parse', rev], { cwd: root }).toString('utf8'))
}

/**
 * `git add --pathspec-from-file=- --pathspec-file-nul`: stages literal paths (any bytes but
 * NUL, any number of them), through git's filters like any `git add`. Nothing to parse.
 * @throws {GitError} when git fails (a path it does not know, a clean filter that refuses).
 */
export function stagePaths(root: string, paths: readonly string[]): void {
  if (paths.length === 0) return
  gitBytes(['add', '--pathspec-from-file=-', '--pathspec-file-nul'], {
    cwd: root,
    input: paths.map((p) => `:(literal)${p}\0`).join(''),
  })
}

/** Parses `git rev-parse --is-shallow-repository`. */
export function parseIsShallow(out: string): boolean {
  return out.trim() === 'true'
}

/** True when the repository is a shallow clone: history before its cut is missing. */
export function isShallowRepository(root: string): boolean {
  return parseIsShallow(git(['rev-parse', '--is-shallow-repository'], { cwd: root }))
}

/**
 * `git add --renormalize` of literal paths: stages them again through the filters git now
 * applies to them (a tracked file that a new rule makes a secret). Nothing to parse.
 * @throws {GitError} when git fails.
 */
export function renormalizePaths(root: string, paths: readonly string[]): void {
  if (paths.length === 0) return
  gitBytes(['add', '--renormalize', '--pathspec-from-file=-', '--pathspec-file-nul'], {
    cwd: root,
    input: paths.map((p) => `:(literal)${p}\0`).join(''),
  })
}

/**
 * `git cat-file blob SPEC` as UTF-8 text (`:path` for the index, `REV:path`), or null when
 * there is no such blob.
 */
export function blobText(root: string, spec: string): string | null {
  return gitMaybeBytes(['cat-file', 'blob', spec], { cwd: root })?.toString('utf8') ?? null
}

/** One record of `git update-index --index-info`: an index entry to write (stage 0). */
export interface IndexInfoRecord {
  mode: string
  oid: string
  path: string
}

/** The `-z` input of `git update-index -z --index-info`: `mode SP oid TAB path NUL` per record. */
export function formatIndexInfo(records: readonly IndexInfoRecord[]): string {
  return records.map((r) => `${r.mode} ${r.oid}\t${r.path}\0`).join('')
}

/**
 * `git update-index -z --index-info`: points index entries at blobs already written, in one
 * process and without touching the work tree.
 * @throws {GitError} when git refuses (an unknown object, a path outside the repository).
 */
export function updateIndexInfo(root: string, records: readonly IndexInfoRecord[]): void {
  if (records.length === 0) return
  gitBytes(['update-index', '-z', '--index-info'], { cwd: root, input: formatIndexInfo(records) })
}

/** `git rev-parse --verify -q HEAD`: the commit HEAD names, or null on an unborn branch. */
export function headCommit(root: string): string | null {
  return gitMaybeBytes(['rev-parse', '--verify', '-q', 'HEAD'], { cwd: root })?.toString('utf8').trim() || null
}

/** `git config KEY`: its value, or null when it is not set. */
export function configValue(root: string, key: string): string | null {
  const out = gitMaybeBytes(['config', key], { cwd: root })?.toString('utf8')
  return out === undefined ? null : out.replace(/\n$/, '')
}
