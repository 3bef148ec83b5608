/**
 * git plumbing whose output git-seal reads: one function per command, always `-z` (paths may
 * hold newlines, quotes, U+2028…), each with a pure parser that the unit tables feed canned
 * output. Nothing outside src/git/ parses git's text.
 * https://git-scm.com/docs/git-diff-index#_raw_output_format
 */
import { gitBytes, gitMaybeBytes, type GitOptions } from './run.js'

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
  const change: RawChange = { srcMode: meta[0] ?? '', dstMode: meta[1] ?? '', srcOid: meta[2] ?? '', dstOid: meta[3] ?? '', status: status.charAt(0), path }
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
export function diffIndexCached(root: string, treeish: string | null, options: { objectFormat?: 'sha1' | 'sha256'; env?: NodeJS.ProcessEnv } = {}): RawChange[] {
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
  const out = gitMaybeBytes(['ls-tree', '-r', '-z', '--full-tree', treeish], { cwd: root, ...(options.env ? { env: options.env } : {}) })
  return out === null ? null : parseLsTree(out.toString('utf8'))
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
