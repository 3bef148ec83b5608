/**
 * Credentials in files no rule covers: the guard looks at staged files, `verify` at HEAD or at
 * the commits it walks. The detector is secretlint's recommended preset (AWS, GitHub, Slack,
 * GCP, npm, private keys, connection strings, basic auth...) and its no-dotenv rule (a `.env`
 * file), maintained upstream rather than patterns of ours. It is loaded with a dynamic import,
 * only here, and only when the config's `scan:` is `warn` or `refuse`: the filter never loads
 * this module, so adding and checking out files cost nothing more.
 *
 * What is not looked at: secrets (a rule covers them; the plaintext checks apply), ciphertext
 * (age files, sops documents outside any rule), binary files (a NUL in the first 8,000 bytes,
 * git's own test) and files over {@link MAX_SCAN_BYTES}.
 * Findings carry the detector's rule and message id and a line number, never the value.
 */
import {
  CONFIG_FILE,
  isNeverSecret,
  matchingSecrets,
  parseConfig,
  type ScanMode,
  type SealConfig,
} from '../config/index.js'
import { CatFileBatch } from '../git/objects.js'
import { GITLINK_MODE, SYMLINK_MODE, blobText, lsTree, revParse } from '../git/plumbing.js'
import { isSecretPath } from '../seal/check.js'
import { storedKind } from '../seal/stored.js'
import { RepositoryHistory, type ObjectReader } from './history.js'

/** Files larger than this are not scanned (the detector's regular expressions run over all of it). */
export const MAX_SCAN_BYTES = 1 << 20
/** How far git looks for a NUL to call a file binary (xdiff's buffer_is_binary). */
const BINARY_SNIFF_BYTES = 8000
const RULE_PREFIX = '@secretlint/secretlint-rule-'

/** What the detector reports about one file: which rule, what kind of credential, where. */
export interface DetectorHit {
  /** the detector's rule, short: `aws`, `github`, `slack`, `privatekey`, `no-dotenv`... */
  rule: string
  /** the rule's message id, naming the kind of credential (`AWSSecretAccessKey`), never its value */
  kind: string
  /** 1-based */
  line: number
}

export interface Detector {
  check(path: string, content: string): Promise<DetectorHit[]>
  /** milliseconds the dynamic import took */
  readonly loadMs: number
}

/** A file no rule covers that looks like it holds a credential. */
export interface CredentialFinding {
  path: string
  oid: string
  /** the commit that added or changed it (verify over history); absent for the index and HEAD */
  commit?: string
  hits: DetectorHit[]
  /** the secret rule to add (null for files git-seal never encrypts, e.g. .gitignore) */
  suggestion: { group: string; name: string; pattern: string } | null
}

export interface ScanResult {
  mode: ScanMode
  findings: CredentialFinding[]
  /** files read and given to the detector */
  scanned: number
  /** the detector's load time, when it was loaded */
  loadMs?: number
  /** why the detector could not be loaded (a broken install): the scan did not run */
  unavailable?: string
}

/**
 * True when a scan fails the check that ran it (`scan: refuse`): it found credentials, or the
 * detector could not run. With `warn` its findings are warnings only.
 */
export function scanRefuses(result: ScanResult): boolean {
  return result.mode === 'refuse' && (result.unavailable !== undefined || result.findings.length > 0)
}

let detector: Promise<Detector> | null = null

/**
 * The detector, imported on first use (one chunk of the bundle that no other entry loads).
 * @throws {Error} when the detector's modules cannot be loaded (a broken install).
 */
export function loadDetector(): Promise<Detector> {
  detector ??= (async () => {
    const started = performance.now()
    const [{ lintSource }, { creator: recommended }, { creator: noDotenv }, { secretLintProfiler }] = await Promise.all(
      [
        import('@secretlint/core'),
        import('@secretlint/secretlint-rule-preset-recommend'),
        import('@secretlint/secretlint-rule-no-dotenv'),
        import('@secretlint/profiler'),
      ],
    )
    // secretlint's profiler puts two performance marks per rule and file in a global buffer and
    // searches every earlier one for each: quadratic (2,000 files took 48 s). Nothing here reads
    // its measures, so no mark is made.
    secretLintProfiler.mark = () => {}
    const loadMs = performance.now() - started
    const config = {
      rules: [
        { id: recommended.meta.id, rule: recommended },
        { id: noDotenv.meta.id, rule: noDotenv },
      ],
    }
    return {
      loadMs,
      async check(path: string, content: string): Promise<DetectorHit[]> {
        const dot = path.lastIndexOf('.')
        const result = await lintSource({
          source: {
            filePath: path,
            content,
            ext: dot > path.lastIndexOf('/') ? path.slice(dot) : '',
            contentType: 'text',
          },
          // maskSecrets: the messages are not printed, but nothing of a value should travel further than needed.
          options: { config, maskSecrets: true, noPhysicFilePath: false },
        })
        return result.messages
          .filter((m) => m.type === 'message')
          .map((m) => ({ rule: m.ruleId.replace(RULE_PREFIX, ''), kind: m.messageId, line: m.loc.start.line }))
      },
    }
  })()
  return detector
}

const STRICTNESS: Record<ScanMode, number> = { off: 0, warn: 1, refuse: 2 }

/** The stricter of two modes: refuse over warn over off. */
export function stricterMode(a: ScanMode, b: ScanMode): ScanMode {
  return STRICTNESS[a] >= STRICTNESS[b] ? a : b
}

/** A config's scan mode; a config without the key (or none at all) does not scan. */
export function scanModeOf(config: SealConfig | null | undefined): ScanMode {
  return config?.scan ?? 'off'
}

/** A secret name for a path: its file name, in the characters a YAML key needs no quotes for, unused in the config. */
function ruleName(config: SealConfig | null, path: string): string {
  const base =
    path
      .slice(path.lastIndexOf('/') + 1)
      .replace(/^\.+/, '')
      .replace(/[^A-Za-z0-9_-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .toLowerCase() || 'credential'
  const taken = new Set(config?.secrets.map((s) => s.name) ?? [])
  let name = base
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}`
  return name
}

/** The pattern that names exactly this path in a rule (gitattributes syntax: anchored, specials escaped). */
function exactPattern(path: string): string {
  return path.includes('/') ? path.replace(/[*?[\\]/g, '\\$&') : `/${path.replace(/[*?[\\]/g, '\\$&')}`
}

function suggestionFor(config: SealConfig | null, path: string): CredentialFinding['suggestion'] {
  if (isNeverSecret(path)) return null
  return { group: config?.groups[0]?.name ?? 'default', name: ruleName(config, path), pattern: exactPattern(path) }
}

function looksBinary(bytes: Uint8Array): boolean {
  return bytes.subarray(0, BINARY_SNIFF_BYTES).includes(0)
}

/**
 * Runs the detector over blobs, each distinct (oid, name) once.
 * @throws {Error} when the detector cannot be loaded.
 */
export async function scanBlobs(
  objects: ObjectReader,
  files: readonly { path: string; oid: string; commit?: string }[],
  config: SealConfig | null,
): Promise<{ findings: CredentialFinding[]; scanned: number; loadMs: number }> {
  const found = await loadDetector()
  const seen = new Set<string>()
  const unique = files.filter((f) => !seen.has(`${f.oid}\0${f.path}`) && seen.add(`${f.oid}\0${f.path}`))
  const blobs = await Promise.all(unique.map((f) => objects.get(f.oid)))
  const findings: CredentialFinding[] = []
  let scanned = 0
  for (const [i, file] of unique.entries()) {
    const object = blobs[i]
    if (object?.type !== 'blob' || object.content.length > MAX_SCAN_BYTES || looksBinary(object.content)) continue
    if (storedKind(file.path, object.content) !== 'plaintext') continue // ciphertext outside any rule holds nothing readable
    scanned++
    const hits = await found.check(file.path, object.content.toString('utf8'))
    if (hits.length > 0)
      findings.push({
        path: file.path,
        oid: file.oid,
        ...(file.commit ? { commit: file.commit } : {}),
        hits,
        suggestion: suggestionFor(config, file.path),
      })
  }
  return { findings, scanned, loadMs: found.loadMs }
}

/**
 * Scans `files`, read through `objects` (left open) or a fresh object reader; a detector that
 * cannot load is reported in the result, not thrown.
 */
async function scanWith(
  root: string,
  mode: ScanMode,
  config: SealConfig | null,
  files: readonly { path: string; oid: string; commit?: string }[],
  objects?: ObjectReader,
): Promise<ScanResult> {
  try {
    await loadDetector()
  } catch (e) {
    detector = null
    return { mode, findings: [], scanned: 0, unavailable: (e as Error).message }
  }
  if (objects) return { mode, ...(await scanBlobs(objects, files, config)) }
  const own = new CatFileBatch(root)
  try {
    return { mode, ...(await scanBlobs(own, files, config)) }
  } finally {
    own.close()
  }
}

/**
 * The guard's scan: staged files (added or changed) that no rule covers, by the staged
 * config's `scan:`. With `off` (or no such key) the detector is not loaded.
 * @throws {Error} when the detector cannot be loaded.
 */
export async function scanStaged(
  root: string,
  config: SealConfig | null,
  files: readonly { path: string; oid: string }[],
): Promise<ScanResult> {
  const mode = scanModeOf(config)
  if (mode === 'off' || files.length === 0) return { mode, findings: [], scanned: 0 }
  return scanWith(root, mode, config, files)
}

/** The valid config at a revision, or null (none, or invalid: verify reports that itself). */
export function configAt(root: string, rev: string): SealConfig | null {
  const text = blobText(root, `${rev}:${CONFIG_FILE}`)
  if (text === null) return null
  try {
    return parseConfig(text, `${rev}:${CONFIG_FILE}`)
  } catch {
    return null // an invalid config decides nothing here; verify's own findings name it
  }
}

/** The policy a history scan follows: the strictest `scan:` of the configs given, and what they cover. */
function historyPolicy(configs: readonly (SealConfig | null)[]): { mode: ScanMode; valid: SealConfig[] } {
  const valid = configs.filter((c): c is SealConfig => c !== null)
  return { mode: valid.map(scanModeOf).reduce(stricterMode, 'off' as ScanMode), valid }
}

/**
 * `verify`'s scan of HEAD: every file of HEAD's tree that no rule of HEAD's config covers.
 * @throws {Error} when the detector cannot be loaded.
 */
export async function scanHead(root: string): Promise<ScanResult> {
  const config = configAt(root, 'HEAD')
  const mode = scanModeOf(config)
  if (mode === 'off') return { mode, findings: [], scanned: 0 }
  const files = (lsTree(root, 'HEAD') ?? [])
    .filter((e) => e.type === 'blob' && e.mode !== SYMLINK_MODE && !isSecretPath(config, e.path))
    .map((e) => ({ path: e.path, oid: e.oid }))
  return scanWith(root, mode, config, files)
}

/**
 * `verify`'s scan of history: the blobs that the commits `revArgs` select add or change, at
 * paths none of `configRevs`' configs covers, by the strictest `scan:` among them (so a branch
 * cannot turn the scan off for itself when the reference config has it on).
 * @throws {GitError} when a revision is unknown; {@link Error} when the detector cannot be loaded.
 */
export async function scanHistory(
  root: string,
  revArgs: readonly string[],
  configRevs: readonly string[],
): Promise<ScanResult> {
  const objects = new CatFileBatch(root)
  const history = new RepositoryHistory(root, objects)
  try {
    // Each rev's own config (an invalid one decides nothing here; verify's own findings name it).
    const configs = await Promise.all(configRevs.map((rev) => history.configAt(rev)))
    const { mode, valid } = historyPolicy(configs.map((c) => (c?.kind === 'valid' ? c.config : null)))
    if (mode === 'off') return { mode, findings: [], scanned: 0 }
    const files: { path: string; oid: string; commit: string }[] = []
    for (const { commit, changes } of history.changes(revArgs, 'AM')) {
      for (const c of changes) {
        if (c.dstMode === GITLINK_MODE || c.dstMode === SYMLINK_MODE) continue
        if (valid.some((config) => matchingSecrets(config, c.path).length > 0)) continue
        files.push({ path: c.path, oid: c.dstOid, commit })
      }
    }
    return await scanWith(root, mode, valid[0] ?? null, files, objects)
  } finally {
    history.close()
  }
}

/**
 * `verify RANGE`'s scan: the range's commits, by the configs at its ends and HEAD's.
 * @throws {GitError} when git does not know the range.
 */
export function scanRange(root: string, range: string): Promise<ScanResult> {
  const revs = revParse(root, range)
  return scanHistory(
    root,
    [...revs.positive, ...revs.negative.map((n) => `^${n}`)],
    [...revs.positive, ...revs.negative, 'HEAD'],
  )
}

/** `verify --all`'s scan: every commit, by HEAD's config (the default branch's). */
export function scanAll(root: string): Promise<ScanResult> {
  return scanHistory(root, ['--all'], ['HEAD'])
}

/**
 * `verify --pre-receive`'s scan of one ref update: the commits in old..new (a new ref: those
 * no existing ref reaches), by the configs at the old tip, the new tip and HEAD (the default
 * branch in a bare repository).
 * @throws {GitError} when git cannot read the pushed commits.
 */
export function scanPush(root: string, update: { oldOid: string; newOid: string }): Promise<ScanResult> {
  const zero = /^0+$/
  if (zero.test(update.newOid)) return Promise.resolve({ mode: 'off', findings: [], scanned: 0 })
  const isNew = zero.test(update.oldOid)
  // Only commits: a pushed tag or tree is peeled by rev-list; `--not --all` are the refs before this push.
  const revArgs = isNew ? [update.newOid, '--not', '--all'] : [update.newOid, `^${update.oldOid}`]
  return scanHistory(root, revArgs, [update.newOid, ...(isNew ? [] : [update.oldOid]), 'HEAD'])
}
