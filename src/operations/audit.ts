/**
 * What each recipient could read, anywhere in history: every secret path and every version
 * (blob) of it, from the config at each commit, the recipients sops files record, and age
 * blobs' recipient declarations. Then, for a recipient who no longer reads a path, whether its
 * value changed since (rotated) — which takes a key here that opens both versions.
 * Needs no private key for the list; a shallow clone's answer is incomplete, and says so.
 */
import { looksLikeAge, readDeclaration, readHeader, recipientFingerprint, type Identity } from '../age/index.js'
import { CONFIG_FILE, findSecret, keyWithoutComment, type SealConfig } from '../config/index.js'
import { CatFileBatch } from '../git/objects.js'
import { RepositoryHistory } from './history.js'
import { isShallowRepository, lsTree } from '../git/plumbing.js'
import { sopsRecipient } from '../seal/sops.js'
import { openStored, sopsMetadata } from '../seal/stored.js'
import { loadIdentities } from '../keys/identities.js'
import { repoPaths } from '../git/repo.js'
import { UserError, progress } from '../ui.js'
import { bareRepositoryError } from '../errors.js'

export type ExposureVia = 'config' | 'sops-recipients' | 'declared'

/** One version of a secret a recipient could read. */
export interface ExposedVersion {
  blob: string
  first: string
  last: string
}

/** Whether a value a recipient could read has been replaced since. */
export type Rotation =
  /** the recipient still reads the version at HEAD */
  | 'still readable'
  /** HEAD's value shares no line with any version they could read */
  | 'rotated'
  /** some lines (values) of HEAD are ones they could read */
  | 'partly rotated'
  /** HEAD holds a version they could read, or the same content */
  | 'not rotated'
  /** the path is gone at HEAD (rotate the value wherever it is still used) */
  | 'deleted'
  /** no key here opens the versions to compare */
  | 'unknown'

export interface Exposure {
  path: string
  first: string
  last: string
  commits: number
  via: ExposureVia[]
  /** every distinct blob they could read, oldest first */
  versions: ExposedVersion[]
  rotation?: Rotation
  /** for 'partly rotated': the names of the values still the same (`KEY` of `KEY=…`, `key` of `key: …`), or a count of lines */
  unchanged?: string[]
}

export interface RecipientAudit {
  /** the name (or key) asked about */
  recipient: string
  /** the public keys that name stood for anywhere in history */
  keys: string[]
  /** true when HEAD's config still names them */
  current: boolean
  paths: Exposure[]
}

export interface AuditReport {
  /** the clone is shallow: commits before its cut are missing, so the lists may be incomplete */
  shallow: boolean
  recipients: RecipientAudit[]
}

const normal = keyWithoutComment

/** Every form a key takes in blobs: as written, and the age form sops files record for ssh keys. */
function forms(key: string): string[] {
  const out = [normal(key)]
  try {
    out.push(sopsRecipient(normal(key)))
  } catch {
    // not an ssh key sops can convert: its written form is all there is
  }
  return [...new Set(out)]
}

interface History {
  commits: { commit: string; tree: string; config: SealConfig | null }[]
  configs: SealConfig[]
  head: SealConfig | null
}

/**
 * Every commit any ref reaches, oldest first, with its tree and its own config (an invalid one
 * names nobody; verify reports it), read through the shared history walker: configs looked up
 * in one batch-check and parsed once per blob id.
 */
async function readHistory(walk: RepositoryHistory): Promise<History> {
  const walked = walk.commitsWithTrees(['--all', '--reverse', '--topo-order'])
  await walk.loadOwnConfigs(walked.map((c) => c.commit))
  const valid = new Map<string, SealConfig>()
  const commits: History['commits'] = walked.map(({ commit, tree }) => {
    const own = walk.ownConfig(commit)
    if (own?.kind !== 'valid') return { commit, tree, config: null }
    if (!valid.has(own.oid)) valid.set(own.oid, own.config)
    return { commit, tree, config: own.config }
  })
  const head = await walk.configAt('HEAD')
  // invalid at HEAD: nobody counts as current
  return { commits, configs: [...valid.values()], head: head?.kind === 'valid' ? head.config : null }
}

/** Every recipient name of every config, and the keys each stood for. */
function namesAndKeys(configs: SealConfig[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>()
  const add = (name: string, key: string): void => {
    if (!out.has(name)) out.set(name, new Set())
    out.get(name)!.add(normal(key))
  }
  for (const c of configs) {
    for (const p of c.people) add(p.name, p.key)
    for (const g of c.groups) for (const r of [...g.admins, ...g.targets]) add(r.name, r.key)
  }
  return out
}

/** Who reads one blob at one commit, as keys in every form: config, sops metadata, declaration. */
type BlobReaders = Map<string, Set<ExposureVia>>

async function readersOfBlobs(
  walk: RepositoryHistory,
  history: History,
  allKeys: string[],
  onCommit: (i: number) => void,
): Promise<{ commit: string; path: string; blob: string; readers: BlobReaders }[]> {
  const byFingerprint = new Map(allKeys.map((k) => [recipientFingerprint(k), k]))
  const stored = new Map<string, { via: ExposureVia; key: string }[]>()
  const out: { commit: string; path: string; blob: string; readers: BlobReaders }[] = []
  for (let i = 0; i < history.commits.length; i++) {
    const { commit, tree, config } = history.commits[i]!
    onCommit(i)
    for (const entry of walk.treeBlobs(tree)) {
      let rule = null
      try {
        rule = config ? findSecret(config, entry.path) : null
      } catch {
        // two rules match: the config is invalid for this path; the blob still says whom it is for
      }
      if (!rule && !/\.(ya?ml|json|env|ini)$/.test(entry.path)) continue
      const readers: BlobReaders = new Map()
      const add = (key: string, via: ExposureVia): void => {
        for (const form of forms(key)) {
          if (!readers.has(form)) readers.set(form, new Set())
          readers.get(form)!.add(via)
        }
      }
      for (const r of rule?.recipients ?? []) add(r.key, 'config')
      let fromBlob = stored.get(entry.oid)
      if (fromBlob === undefined) {
        fromBlob = []
        const object = await walk.read(entry.oid)
        if (object && looksLikeAge(object.content)) {
          try {
            const declared = readDeclaration(readHeader(object.content).stanzas)
            if (Array.isArray(declared))
              for (const f of declared)
                if (byFingerprint.has(f)) fromBlob.push({ via: 'declared', key: byFingerprint.get(f)! })
          } catch {
            // a malformed header declares nothing
          }
        } else if (object) {
          for (const e of sopsMetadata(entry.path, object.content)?.age ?? [])
            fromBlob.push({ via: 'sops-recipients', key: e.recipient })
        }
        stored.set(entry.oid, fromBlob)
      }
      for (const { via, key } of fromBlob) add(key, via)
      if (readers.size > 0) out.push({ commit, path: entry.path, blob: entry.oid, readers })
    }
  }
  return out
}

/**
 * The audit of one recipient (a name as written in any config of the history, or a key), or of
 * every recipient the history names when `who` is null.
 * @param identities keys to compare versions with, for the rotation verdicts; none: no verdicts.
 * @throws {UserError} via the caller when `who` names nobody (an empty result is returned).
 */
export async function auditHistory(
  root: string,
  who: string | null,
  identities: Identity[] | null,
): Promise<AuditReport> {
  const objects = new CatFileBatch(root)
  const walk = new RepositoryHistory(root, objects)
  try {
    const history = await readHistory(walk)
    const names = namesAndKeys(history.configs)
    const targets: { recipient: string; keys: Set<string> }[] = []
    if (who === null) for (const [name, keys] of names) targets.push({ recipient: name, keys })
    else {
      const keys = new Set(names.get(who) ?? [])
      if (/^(age1|ssh-)/.test(who.trim())) keys.add(normal(who))
      if (keys.size > 0) targets.push({ recipient: who, keys })
    }
    const allKeys = [...new Set([...names.values()].flatMap((k) => [...k]).concat(targets.flatMap((t) => [...t.keys])))]
    const total = history.commits.length
    const blobs = await readersOfBlobs(walk, history, allKeys, (i) => progress('audit', i + 1, total))
    const headTree = new Map((lsTree(root, 'HEAD') ?? []).filter((e) => e.type === 'blob').map((e) => [e.path, e.oid]))
    const headNames = new Set(history.head ? [...namesAndKeys([history.head]).keys()] : [])
    const recipients: RecipientAudit[] = []
    for (const target of targets) {
      const forms = new Set([...target.keys].flatMap((k) => formsOf(k)))
      const exposures = new Map<string, Exposure>()
      const counted = new Set<string>()
      for (const b of blobs) {
        const via = new Set<ExposureVia>()
        for (const form of forms) for (const v of b.readers.get(form) ?? []) via.add(v)
        if (via.size === 0) continue
        let e = exposures.get(b.path)
        if (!e) {
          e = { path: b.path, first: b.commit, last: b.commit, commits: 0, via: [], versions: [] }
          exposures.set(b.path, e)
        }
        e.last = b.commit
        if (!counted.has(`${b.commit}\0${b.path}`)) {
          counted.add(`${b.commit}\0${b.path}`)
          e.commits++
        }
        for (const v of via) if (!e.via.includes(v)) e.via.push(v)
        const version = e.versions.find((x) => x.blob === b.blob)
        if (version) version.last = b.commit
        else e.versions.push({ blob: b.blob, first: b.commit, last: b.commit })
      }
      const paths = [...exposures.values()].sort((a, b) => a.path.localeCompare(b.path))
      if (identities !== null)
        for (const e of paths) Object.assign(e, await rotationOf(objects, e, headTree.get(e.path) ?? null, identities))
      const isCurrent =
        headNames.has(target.recipient) ||
        (history.head !== null &&
          [...namesAndKeys([history.head]).values()].some((keys) => [...keys].some((k) => target.keys.has(k))))
      recipients.push({ recipient: target.recipient, keys: [...target.keys], current: isCurrent, paths })
    }
    return { shallow: isShallowRepository(root), recipients }
  } finally {
    objects.close()
  }
}

const formsOf = forms

/** Names of values in lines that look like `KEY=value` or `key: value`; others are counted. */
function valueNames(lines: string[]): string[] {
  const named: string[] = []
  let others = 0
  for (const line of lines) {
    const m = /^\s*(?:export\s+)?([\w.-]+)\s*[=:]/.exec(line)
    if (m) named.push(m[1]!)
    else others++
  }
  return [...new Set(named), ...(others > 0 ? [`${others} other line(s)`] : [])]
}

/**
 * Lines that carry values: not empty, not comments, not structure (a YAML key that opens a
 * nested mapping, JSON brackets, an INI section, a document marker), which stay the same when
 * every value changes.
 */
function valueLines(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => {
    const t = l.trim()
    return (
      t !== '' &&
      !/^[#;]/.test(t) &&
      !/^["']?[\w.-]+["']?\s*:\s*[{[]?$/.test(t) &&
      !/^[{}[\],]+$/.test(t) &&
      !/^\[[^\]]*\]$/.test(t) &&
      t !== '---' &&
      t !== '-'
    )
  })
}

/** Compares HEAD's version of a path with every version the recipient could read. */
async function rotationOf(
  objects: CatFileBatch,
  e: Exposure,
  head: string | null,
  identities: Identity[],
): Promise<Pick<Exposure, 'rotation' | 'unchanged'>> {
  if (head === null) return { rotation: 'deleted' }
  if (e.versions.some((v) => v.blob === head)) return { rotation: 'still readable' }
  const open = async (blob: string): Promise<string | null> => {
    const object = await objects.get(blob)
    if (!object) return null
    try {
      return Buffer.from(openStored(e.path, object.content, identities)).toString('utf8')
    } catch {
      // not for the keys here, or damaged: nothing to compare
      return null
    }
  }
  const current = await open(head)
  if (current === null) return { rotation: 'unknown' }
  const currentLines = valueLines(current)
  const seen = new Set<string>()
  for (const v of e.versions) {
    const old = await open(v.blob)
    if (old === null) return { rotation: 'unknown' }
    if (old === current) return { rotation: 'not rotated' }
    for (const line of valueLines(old)) seen.add(line.trim())
  }
  const same = currentLines.filter((l) => seen.has(l.trim()))
  if (same.length === 0) return { rotation: 'rotated' }
  return {
    rotation: same.length === currentLines.length ? 'not rotated' : 'partly rotated',
    unchanged: valueNames(same),
  }
}

/** What to do about one recipient's exposures: the lines of the checklist. */
export function checklist(audit: RecipientAudit): string[] {
  const who = audit.recipient
  const toRotate = audit.paths.filter((e) => e.rotation !== 'rotated')
  return [
    audit.current
      ? `${who} is still a recipient: 'git-seal remove-recipient ${who}' (or 'git-seal set-key ${who} NEWKEY' for a lost key), then commit`
      : `removing ${who} from ${CONFIG_FILE} does not revoke history: every version they could read stays readable to them`,
    ...toRotate.map(
      (e) =>
        `rotate the values in ${e.path} (readable from ${e.first.slice(0, 12)} to ${e.last.slice(0, 12)}${e.rotation === 'partly rotated' ? `; unchanged since: ${e.unchanged!.join(', ')}` : e.rotation === 'deleted' ? '; deleted here, but rotate it wherever it is still used' : ''})`,
    ),
    "then 'git-seal rekey' and commit, so new versions are encrypted without them",
  ]
}

/** `audit [NAME|KEY]`: the report, and whether it could say what was rotated (a key here opens the versions). */
export interface RepositoryAudit {
  report: AuditReport
  /** no age identity here: versions are listed, rotation verdicts are not known */
  keyless: boolean
}

/**
 * `git-seal audit [NAME|KEY]`: the audit of the repository at `cwd`, with the identities here
 * for the rotation verdicts.
 * @throws {UserError} when the repository is bare, or `who` names no recipient of any config in the history.
 */
export async function auditRepository(who: string | null, cwd: string = process.cwd()): Promise<RepositoryAudit> {
  const root = repoPaths(cwd).top
  if (!root) throw bareRepositoryError()
  const identities = loadIdentities()
  const report = await auditHistory(root, who, identities.identities.length > 0 ? identities.identities : null)
  if (who !== null && report.recipients.length === 0)
    throw new UserError(
      `no recipient named ${who} in any ${CONFIG_FILE} of this history`,
      'give the name as written in the config, or the public key',
    )
  return { report, keyless: identities.identities.length === 0 }
}
