/**
 * The `sops` metadata block (docs/sops-format.md §3, stores/stores.go `metadata`, stores/metadata.go): reading it
 * from whatever layout a sops version wrote, and building the tree sops 3.13 writes (every map's
 * keys sorted, empty key lists omitted, `version: 3.13.2`). dotenv and INI store it flattened
 * (stores/flatten.go): `age__list_0__map_enc`.
 */
import { SopsError } from './errors.js'
import { compileRe2, setOwn, type EffectiveRules } from './tree.js'
import { parseGoBool } from './values.js'
import { SOPS_SELECTION_RULES } from './rule-names.js'

export interface SopsAgeEntry {
  recipient: string
  /** ASCII-armored age file holding the 32-byte data key */
  enc: string
}

/** Which values are encrypted and what the MAC covers, with sops's meaning. At most one selector. */
export interface SopsRules {
  unencryptedSuffix?: string
  encryptedSuffix?: string
  unencryptedRegex?: string
  encryptedRegex?: string
  macOnlyEncrypted?: boolean
  /** a comment matching it leaves the comments and values after it (and under it) unencrypted */
  unencryptedCommentRegex?: string
  /** only the comments and values after (and under) a comment matching it are encrypted */
  encryptedCommentRegex?: string
}

export interface SopsMetadata {
  age: SopsAgeEntry[]
  lastmodified: string
  /** the encrypted MAC; '' when the file has none */
  mac: string
  version: string
  rules: SopsRules
  /** pgp, kms, gcp_kms, azure_kv, hc_vault, hckms, key_groups, shamir_threshold, as found (empty ones dropped) */
  otherKeys: Record<string, MetaValue>
}

export type MetaValue = string | number | boolean | null | MetaValue[] | { [key: string]: MetaValue }
export type MetaTree = { [key: string]: MetaValue }

/** The sops version whose output this module writes. */
export const SOPS_VERSION = '3.13.2'
export const DEFAULT_UNENCRYPTED_SUFFIX = '_unencrypted'

const RULE_FIELDS = SOPS_SELECTION_RULES
const OTHER_KEYS = ['azure_kv', 'gcp_kms', 'hc_vault', 'hckms', 'key_groups', 'kms', 'pgp', 'shamir_threshold']

const isMap = (v: unknown): v is MetaTree => typeof v === 'object' && v !== null && !Array.isArray(v)
const isEmpty = (v: MetaValue | undefined): boolean =>
  v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)

/**
 * The metadata of a sops document from its `sops` tree; null when the tree is not sops metadata
 * (no `lastmodified` or `version`), so a plaintext file with a `sops` key is not mistaken for one.
 */
export function metadataFromTree(tree: unknown): SopsMetadata | null {
  if (!isMap(tree)) return null
  // only own keys count: a key named like an Object.prototype member must not be inherited
  const own = (k: string): MetaValue | undefined => (Object.hasOwn(tree, k) ? tree[k] : undefined)
  const lastmodified = own('lastmodified')
  const version = own('version')
  if (typeof lastmodified !== 'string' || typeof version !== 'string') return null
  const ageEntries = own('age')
  const age: SopsAgeEntry[] = []
  for (const entry of Array.isArray(ageEntries) ? ageEntries : []) {
    if (!isMap(entry) || typeof entry.recipient !== 'string' || typeof entry.enc !== 'string') {
      throw new SopsError('parse', 'sops metadata: an age entry lacks its recipient or enc')
    }
    age.push({ recipient: entry.recipient, enc: entry.enc })
  }
  const rules: SopsRules = {}
  for (const [field, name] of RULE_FIELDS) {
    const v = own(field)
    if (typeof v === 'string' && v !== '') rules[name] = v
  }
  const macOnly = own('mac_only_encrypted')
  if (macOnly === true || (typeof macOnly === 'string' && parseGoBool(macOnly) === true)) rules.macOnlyEncrypted = true
  const otherKeys: Record<string, MetaValue> = {}
  for (const key of OTHER_KEYS) {
    const v = own(key)
    if (v === undefined || isEmpty(v)) continue
    otherKeys[key] = key === 'shamir_threshold' && typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v
  }
  const mac = own('mac')
  return { age, lastmodified, mac: typeof mac === 'string' ? mac : '', version, rules, otherKeys }
}

const UINT64_DIGITS = /^(0|[1-9]\d*)$/
const fitsUint64 = (s: string): boolean => UINT64_DIGITS.test(s) && BigInt(s) <= 2n ** 64n - 1n

/**
 * Whether sops accepts a document's `version` (cmd/sops/common `DetectKMSEncryptionContextBug`,
 * version.AIsNewerThanB, which every decryption runs): `1.x` (sops 1), else after an optional
 * `v` a semantic version as blang/semver v3 `Make` parses it: MAJOR.MINOR.PATCH without leading
 * zeros, optional `-prerelease` and `+build` identifiers of `[0-9A-Za-z-]`.
 */
export function isSopsVersion(version: string): boolean {
  if (version.startsWith('1.')) return true
  const v = version.startsWith('v') ? version.slice(1) : version
  const parts = v.split('.')
  if (parts.length < 3) return false
  const [major = '', minor = ''] = parts
  let patch = parts.slice(2).join('.')
  let build: string[] = []
  let pre: string[] = []
  const plus = patch.indexOf('+')
  if (plus >= 0) {
    build = patch.slice(plus + 1).split('.')
    patch = patch.slice(0, plus)
  }
  const dash = patch.indexOf('-')
  if (dash >= 0) {
    pre = patch.slice(dash + 1).split('.')
    patch = patch.slice(0, dash)
  }
  if (![major, minor, patch].every(fitsUint64)) return false
  const ident = /^[0-9A-Za-z-]+$/
  if (!pre.every((p) => ident.test(p) && (!/^\d+$/.test(p) || fitsUint64(p)))) return false
  return build.every((b) => ident.test(b))
}

function sortDeep(v: MetaValue): MetaValue {
  if (Array.isArray(v)) return v.map(sortDeep)
  if (!isMap(v)) return v
  const out: MetaTree = {}
  for (const k of Object.keys(v).sort()) {
    const child = v[k]
    if (child !== undefined && !isEmpty(child)) out[k] = sortDeep(child)
  }
  return out
}

/** The metadata tree sops 3.13 writes; `binary` files carry no encryption rule since sops 3.11. */
export function metadataToTree(
  meta: {
    age: readonly SopsAgeEntry[]
    lastmodified: string
    mac: string
    rules: SopsRules
    otherKeys?: Record<string, MetaValue>
  },
  binary: boolean,
): MetaTree {
  const tree: MetaTree = { ...(meta.otherKeys ?? {}) }
  tree.age = meta.age.map((e) => ({ enc: e.enc, recipient: e.recipient }))
  tree.lastmodified = meta.lastmodified
  tree.mac = meta.mac
  if (meta.rules.macOnlyEncrypted) tree.mac_only_encrypted = true
  let ruled = false
  for (const [field, name] of RULE_FIELDS) {
    const v = meta.rules[name]
    if (v) {
      tree[field] = v
      ruled = true
    }
  }
  if (!ruled && !binary) tree.unencrypted_suffix = DEFAULT_UNENCRYPTED_SUFFIX
  tree.version = SOPS_VERSION
  return sortDeep(tree) as MetaTree
}

/**
 * The rules to apply, validated as sops does (stores.go `ToInternal`): at most one selector, the
 * default `unencrypted_suffix` when none.
 * @throws {SopsError} 'unsupported' for several selectors or a bad regex.
 */
export function effectiveRules(rules: SopsRules): EffectiveRules {
  const set = RULE_FIELDS.filter(([, name]) => !!rules[name])
  if (set.length > 1) {
    throw new SopsError(
      'unsupported',
      `at most one of ${RULE_FIELDS.map(([f]) => f).join(', ')} may be set (found ${set.map(([f]) => f).join(', ')})`,
    )
  }
  const base = { macOnlyEncrypted: rules.macOnlyEncrypted === true }
  if (rules.encryptedSuffix) return { ...base, encryptedSuffix: rules.encryptedSuffix }
  if (rules.unencryptedRegex)
    return { ...base, unencryptedRegex: compileRe2(rules.unencryptedRegex, 'unencrypted_regex') }
  if (rules.encryptedRegex) return { ...base, encryptedRegex: compileRe2(rules.encryptedRegex, 'encrypted_regex') }
  if (rules.unencryptedCommentRegex)
    return { ...base, unencryptedCommentRegex: compileRe2(rules.unencryptedCommentRegex, 'unencrypted_comment_regex') }
  if (rules.encryptedCommentRegex)
    return { ...base, encryptedCommentRegex: compileRe2(rules.encryptedCommentRegex, 'encrypted_comment_regex') }
  return { ...base, unencryptedSuffix: rules.unencryptedSuffix || DEFAULT_UNENCRYPTED_SUFFIX }
}

const MAP_SEP = '__map_'
const LIST_SEP = '__list_'

/** stores/flatten.go `flattenTreeBranch`: leaf entries keyed by their flattened path. */
export function flattenMetadata(tree: MetaTree, prefix: string): [string, string][] {
  const out: [string, string][] = []
  const descend = (v: MetaValue, key: string): void => {
    if (Array.isArray(v)) {
      v.forEach((item, i) => {
        descend(item, `${key}${LIST_SEP}${i}`)
      })
    } else if (isMap(v)) for (const [k, child] of Object.entries(v)) descend(child, `${key}${MAP_SEP}${k}`)
    else out.push([key, v === null ? '' : String(v)])
  }
  for (const [k, v] of Object.entries(tree)) descend(v, prefix + k)
  return out
}

/**
 * stores/flatten.go `unflattenTreeBranch`.
 * @throws {SopsError} 'parse' when the keys do not form a tree.
 */
export function unflattenMetadata(entries: readonly (readonly [string, string])[]): MetaTree {
  const root: MetaTree = {}
  const fail = (key: string): never => {
    throw new SopsError('parse', `sops metadata: entry ${key} does not fit the others`)
  }
  for (const [key, value] of entries) {
    const parts = key.split(/(__map_|__list_)/)
    let container: MetaTree | MetaValue[] = root
    let slot: string | number = parts[0] ?? ''
    for (let i = 1; i < parts.length; i += 2) {
      const list = parts[i] === LIST_SEP
      const name = parts[i + 1] ?? ''
      const next: string | number = list ? Number(name) : name
      if (list && !/^\d+$/.test(name)) fail(key)
      const own = Object.hasOwn(container, slot)
      const existing: MetaValue | undefined = own ? (container as Record<string | number, MetaValue>)[slot] : undefined
      const child: MetaValue = existing ?? (list ? [] : {})
      if (list !== Array.isArray(child) || (!list && !isMap(child))) fail(key)
      setOwn(container, slot, child)
      container = child as MetaTree | MetaValue[]
      slot = next
    }
    setOwn(container, slot, value)
  }
  return root
}
