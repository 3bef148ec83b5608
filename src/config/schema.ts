/**
 * Reading and validating .gitseal.yaml. Every problem is collected, each naming the file, line
 * and column, and the path in the YAML, so one run shows everything to fix. An invalid config
 * makes encryption fail: it never falls back to storing plaintext.
 */
import { LineCounter, isMap, isScalar, isSeq, parseDocument, visit, type Node } from 'yaml'
import { MAX_STANZAS } from '../age/index.js'
import { UserError } from '../errors.js'
import { classifyKey, keyWithoutComment, type KeyKind } from './keys.js'
import { patternProblem } from './match.js'
import { neverSecretProblem } from './never-secret.js'
import { SOPS_RULE_NAMES } from '../formats/sops/rule-names.js'

export const CONFIG_FILE = '.gitseal.yaml'
/** Larger configs are refused: nobody writes one by hand, and a parser should not be a DoS target. */
export const MAX_CONFIG_BYTES = 1 << 20

export interface Recipient {
  name: string
  key: string
  kind: KeyKind
  role: 'admin' | 'target'
  group: string
  /** true when the group names a person of the top-level `people:` list, false for an inline `{name, key}` */
  person: boolean
}

/**
 * A person (or host) of the top-level `people:` list: declared once, referenced by name from
 * the groups, so a key change is one line (`git-seal set-key`).
 */
export interface Person {
  name: string
  key: string
  kind: KeyKind
  comment?: string
}

export interface SopsOptions {
  unencryptedSuffix?: string
  encryptedSuffix?: string
  unencryptedRegex?: string
  encryptedRegex?: string
  unencryptedCommentRegex?: string
  encryptedCommentRegex?: string
  macOnlyEncrypted?: boolean
}

/**
 * What the work tree holds for a secret: its plaintext (decrypted on checkout, the default), or
 * the stored ciphertext, in every clone and even with a key (`worktree: ciphertext`: for files
 * that tools copy out of the work tree, such as Nix flakes into the world-readable /nix/store).
 */
export type WorktreeMode = 'plaintext' | 'ciphertext'

export interface SecretRule {
  name: string
  group: string
  patterns: string[]
  /** paths the patterns match that are not this secret (`exclude:`: examples, templates) */
  excludes: string[]
  format: 'auto' | 'age' | 'sops'
  worktree: WorktreeMode
  /** resolved: the secret's admins, then its targets */
  recipients: Recipient[]
  sops: SopsOptions
}

export interface Group {
  name: string
  admins: Recipient[]
  targets: Recipient[]
}

/**
 * What the guard and `verify` do with a staged file that no rule covers and that looks like a
 * credential: warn, refuse the commit, or not look (the detector is not even loaded).
 */
export type ScanMode = 'warn' | 'refuse' | 'off'
export const SCAN_MODES: readonly ScanMode[] = ['warn', 'refuse', 'off']

export interface SealConfig {
  version: SchemaVersion
  /** the top-level `people:` list, in file order (empty without one) */
  people: Person[]
  groups: Group[]
  secrets: SecretRule[]
  source: string
  /** `scan:` at the top; absent means off, so configs written before it keep their behaviour */
  scan?: ScanMode
}

/** The newest schema this build reads. */
export const SCHEMA_VERSION = 2
export type SchemaVersion = 1 | 2

/**
 * The git-seal release that first reads each schema version, for the message an older build
 * gives (its own config check says only which versions it knows).
 */
export const FIRST_READER: Record<SchemaVersion, string> = { 1: '0.1.0', 2: '0.2.0' }

/**
 * Keys added after schema 1, by the place they may appear, and the version that introduced
 * them: a config using one must declare at least that version, so builds that predate it
 * (which know only `version: 1`) refuse the whole config instead of ignoring the key. A key of
 * a later issue is one more line here.
 */
const KEYS_SINCE: readonly { where: 'secret' | 'top'; key: string; version: SchemaVersion }[] = [
  { where: 'secret', key: 'worktree', version: 2 },
  { where: 'top', key: 'people', version: 2 },
  { where: 'secret', key: 'exclude', version: 2 },
]

/** The config is invalid; `problems` lists every finding, each with its location. */
export class ConfigError extends UserError {
  readonly problems: string[]
  constructor(
    problems: string[],
    source: string,
    hint = `fix ${source}; 'git-seal status' shows the secrets it describes`,
  ) {
    super(
      problems.length === 1 ? problems[0]! : `${source} has ${problems.length} problems:\n  ${problems.join('\n  ')}`,
      hint,
      'config',
    )
    this.problems = problems
  }
}

const SOPS_KEYS: Record<string, keyof SopsOptions> = SOPS_RULE_NAMES

class Validator {
  readonly problems: string[] = []
  constructor(
    private readonly source: string,
    private readonly lines: LineCounter,
  ) {}

  at(node: Node | null | undefined, where: string, message: string): void {
    let loc = ''
    if (node?.range) {
      const { line, col } = this.lines.linePos(node.range[0])
      loc = `:${line}:${col}`
    }
    this.problems.push(`${this.source}${loc}: ${where}: ${message}`)
  }

  /** A mapping's entries as [key, value node]; reports anything else. */
  entries(node: unknown, where: string, allowed?: string[]): [string, Node | null][] {
    if (node === null || node === undefined) return []
    if (!isMap(node)) {
      this.at(node as Node, where, 'expected a mapping')
      return []
    }
    const out: [string, Node | null][] = []
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : null
      if (key === null) {
        this.at(pair.key as Node, where, 'keys must be plain strings')
        continue
      }
      if (allowed && !allowed.includes(key)) {
        this.at(pair.key as Node, `${where}.${key}`, `unknown key (expected one of: ${allowed.join(', ')})`)
        continue
      }
      out.push([key, (pair.value as Node | null) ?? null])
    }
    return out
  }

  string(node: Node | null, where: string): string | null {
    if (isScalar(node) && typeof node.value === 'string' && node.value !== '') return node.value
    this.at(node, where, 'expected a non-empty string')
    return null
  }

  strings(node: Node | null, where: string): string[] | null {
    if (isScalar(node) && typeof node.value === 'string') return [node.value]
    if (isSeq(node)) {
      const out: string[] = []
      node.items.forEach((item, i) => {
        const s = this.string(item as Node, `${where}[${i}]`)
        if (s !== null) out.push(s)
      })
      return out
    }
    this.at(node, where, 'expected a string or a list of strings')
    return null
  }

  /** The non-empty string under `key` in `fields`; reports it at the mapping `node` when the key is missing. */
  requiredString(fields: Map<string, Node | null>, key: string, node: Node, where: string): string | null {
    if (!fields.has(key)) {
      this.at(node, where, `missing '${key}'`)
      return null
    }
    return this.string(fields.get(key) ?? null, `${where}.${key}`)
  }
}

/**
 * The top-level `people:` list: `{name, key, comment?}` entries, names and keys unique (a key
 * under two names would make `set-key` and `audit` ambiguous).
 */
function peopleOf(v: Validator, node: Node | null | undefined): Map<string, Person> {
  const people = new Map<string, Person>()
  if (node === undefined || node === null) return people
  if (!isSeq(node)) {
    v.at(node, 'people', 'expected a list of {name, key, comment}')
    return people
  }
  const keys = new Map<string, string>()
  node.items.forEach((item, i) => {
    const at = `people[${i}]`
    const fields = new Map(v.entries(item, at, ['name', 'key', 'comment']))
    const name = v.requiredString(fields, 'name', item as Node, at)
    const key = v.requiredString(fields, 'key', item as Node, at)
    const comment = fields.has('comment') ? v.string(fields.get('comment') ?? null, `${at}.comment`) : null
    if (name === null || key === null) return
    if (people.has(name)) v.at(fields.get('name'), `${at}.name`, `duplicate person '${name}'`)
    const kind = classifyKey(key)
    if ('problem' in kind) {
      v.at(fields.get('key'), `${at}.key`, `${name}: ${kind.problem}`)
      return
    }
    const normal = keyWithoutComment(key)
    const other = keys.get(normal)
    if (other !== undefined && other !== name)
      v.at(fields.get('key'), `${at}.key`, `${name} has the same key as ${other}: one key, one person`)
    keys.set(normal, name)
    people.set(name, { name, key: key.trim(), kind: kind.kind, ...(comment !== null ? { comment } : {}) })
  })
  return people
}

/**
 * A group's admins or targets: each item a person's name (from `people:`) or an inline
 * `{name, key}` (the schema 1 form, still read).
 */
function recipientsOf(
  v: Validator,
  node: Node | null,
  where: string,
  group: string,
  role: 'admin' | 'target',
  names: Set<string>,
  people: Map<string, Person>,
): Recipient[] {
  if (node === null) return []
  if (!isSeq(node)) {
    v.at(node, where, "expected a list of people's names or {name, key}")
    return []
  }
  const out: Recipient[] = []
  node.items.forEach((item, i) => {
    const at = `${where}[${i}]`
    if (isScalar(item)) {
      const name = v.string(item as Node, at)
      if (name === null) return
      const person = people.get(name)
      if (!person) {
        v.at(
          item as Node,
          at,
          people.size > 0
            ? `unknown person '${name}' (people: ${[...people.keys()].join(', ')})`
            : `'${name}' names a person, but the config has no 'people:' list; declare it there or write {name, key}`,
        )
        return
      }
      if (names.has(name)) v.at(item as Node, at, `duplicate recipient name '${name}' in group '${group}'`)
      names.add(name)
      out.push({ name, key: person.key, kind: person.kind, role, group, person: true })
      return
    }
    const fields = new Map(v.entries(item, at, ['name', 'key']))
    const name = v.requiredString(fields, 'name', item as Node, at)
    const key = v.requiredString(fields, 'key', item as Node, at)
    if (name === null || key === null) return
    if (people.has(name)) {
      v.at(
        fields.get('name'),
        `${at}.name`,
        `'${name}' is declared in people: write '- ${name}' here instead of a key of its own`,
      )
      return
    }
    if (names.has(name))
      v.at(fields.get('name'), `${at}.name`, `duplicate recipient name '${name}' in group '${group}'`)
    names.add(name)
    const kind = classifyKey(key)
    if ('problem' in kind) {
      v.at(fields.get('key'), `${at}.key`, `${name}: ${kind.problem}`)
      return
    }
    out.push({ name, key: key.trim(), kind: kind.kind, role, group, person: false })
  })
  return out
}

/**
 * Parses and validates a config.
 * @throws {ConfigError} listing every problem found, each with file:line:col and its YAML path.
 */
export function parseConfig(text: string, source: string = CONFIG_FILE): SealConfig {
  if (text.length > MAX_CONFIG_BYTES)
    throw new ConfigError([`${source}: larger than ${MAX_CONFIG_BYTES} bytes`], source)
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false })
  const v = new Validator(source, lines)
  for (const e of doc.errors)
    v.problems.push(
      `${source}:${e.linePos?.[0]?.line ?? '?'}:${e.linePos?.[0]?.col ?? '?'}: ${e.message.split('\n')[0]}`,
    )
  if (v.problems.length) throw new ConfigError(v.problems, source)
  // Nodes are walked, never expanded, so alias bombs cost nothing; refuse aliases anyway: a
  // config is read by people, and aliases hide who can read what.
  visit(doc, {
    Alias(_key, node) {
      v.at(node as unknown as Node, 'alias', 'YAML aliases are not allowed; write each value out')
    },
  })
  if (v.problems.length) throw new ConfigError(v.problems, source)
  // `scan:` is read in version 1 configs too (absent means off).
  const topKeys = ['version', 'groups', 'scan', ...KEYS_SINCE.filter((k) => k.where === 'top').map((k) => k.key)]
  const top = new Map(v.entries(doc.contents, '(top)', topKeys))
  const versionNode = top.get('version')
  const version = schemaVersion(v, versionNode, doc.contents as Node)
  if (version === 'newer')
    throw new ConfigError(
      v.problems,
      source,
      `update git-seal in this repository ('npm install --save-dev git-seal@latest'), then run 'npx git-seal install' in each clone`,
    )
  /** Reports a key introduced by a later schema than the config declares. */
  const requireVersion = (where: 'secret' | 'top', key: string, node: Node | null | undefined, at: string): void => {
    const since = KEYS_SINCE.find((k) => k.where === where && k.key === key)
    if (!since || version === null || version >= since.version) return
    v.at(
      node,
      at,
      `'${key}' needs 'version: ${since.version}' at the top of the config (git-seal ${FIRST_READER[since.version]} or later reads it; older releases refuse the whole config, so every clone needs 'npx git-seal install' of a newer one)`,
    )
  }
  for (const k of KEYS_SINCE)
    if (k.where === 'top' && top.has(k.key)) requireVersion('top', k.key, top.get(k.key), k.key)
  const scanNode = top.get('scan')
  let scan: ScanMode | undefined
  if (scanNode !== undefined) {
    // YAML 1.2 reads a bare `off` as the string 'off' (the yaml package's default schema).
    const value = isScalar(scanNode) ? scanNode.value : null
    if (typeof value === 'string' && (SCAN_MODES as readonly string[]).includes(value)) scan = value as ScanMode
    else v.at(scanNode, 'scan', `must be ${SCAN_MODES.join(', ')}`)
  }
  const people = peopleOf(v, top.get('people'))
  const groups: Group[] = []
  const secrets: SecretRule[] = []
  const secretNames = new Map<string, string>()
  for (const [groupName, groupNode] of v.entries(top.get('groups') ?? null, 'groups')) {
    const gw = `groups.${groupName}`
    const g = new Map(v.entries(groupNode, gw, ['recipients', 'secrets']))
    const r = new Map(v.entries(g.get('recipients') ?? null, `${gw}.recipients`, ['admins', 'targets']))
    const names = new Set<string>()
    const admins = recipientsOf(
      v,
      r.get('admins') ?? null,
      `${gw}.recipients.admins`,
      groupName,
      'admin',
      names,
      people,
    )
    const targets = recipientsOf(
      v,
      r.get('targets') ?? null,
      `${gw}.recipients.targets`,
      groupName,
      'target',
      names,
      people,
    )
    groups.push({ name: groupName, admins, targets })
    for (const [secretName, secretNode] of v.entries(g.get('secrets') ?? null, `${gw}.secrets`)) {
      const sw = `${gw}.secrets.${secretName}`
      if (secretNames.has(secretName))
        v.at(secretNode, sw, `duplicate secret name '${secretName}' (also in group '${secretNames.get(secretName)}')`)
      secretNames.set(secretName, groupName)
      const secretKeys = [
        'path',
        'targets',
        'admins',
        'format',
        ...KEYS_SINCE.filter((k) => k.where === 'secret').map((k) => k.key),
        ...Object.keys(SOPS_KEYS),
      ]
      const s = new Map(v.entries(secretNode, sw, secretKeys))
      const pathNode = s.get('path')
      let patterns: string[] = []
      if (pathNode === undefined) v.at(secretNode, sw, "missing 'path'")
      else patterns = v.strings(pathNode, `${sw}.path`) ?? []
      patterns.forEach((p) => {
        const problem = patternProblem(p) ?? neverSecretProblem(p)
        if (problem) v.at(pathNode, `${sw}.path`, `'${p}': ${problem}`)
      })
      const excludeNode = s.get('exclude')
      let excludes: string[] = []
      if (excludeNode !== undefined) {
        requireVersion('secret', 'exclude', excludeNode, `${sw}.exclude`)
        excludes = v.strings(excludeNode, `${sw}.exclude`) ?? []
        excludes.forEach((p) => {
          const problem = patternProblem(p)
          if (problem) v.at(excludeNode, `${sw}.exclude`, `'${p}': ${problem}`)
        })
      }
      const pick = (
        role: 'admin' | 'target',
        list: Recipient[],
        node: Node | null | undefined,
        fallback: 'all' | 'none',
      ): Recipient[] => {
        if (node === undefined) return fallback === 'all' ? list : []
        const wanted = v.strings(node, `${sw}.${role}s`) ?? []
        if (wanted.length === 1 && wanted[0] === '*') return list
        return wanted.flatMap((n) => {
          const found = list.find((x) => x.name === n)
          if (!found) v.at(node, `${sw}.${role}s`, `unknown ${role} '${n}' in group '${groupName}'`)
          return found ? [found] : []
        })
      }
      const before = v.problems.length
      const recipients = [
        ...pick('admin', admins, s.get('admins'), 'all'),
        ...pick('target', targets, s.get('targets'), 'none'),
      ]
      const namesUnknown = v.problems.length > before
      const formatNode = s.get('format')
      let format: SecretRule['format'] = 'auto'
      if (formatNode !== undefined) {
        const f = isScalar(formatNode) ? formatNode.value : null
        if (f === 'auto' || f === 'age' || f === 'sops') format = f
        else v.at(formatNode, `${sw}.format`, 'must be auto, age or sops')
      }
      const worktreeNode = s.get('worktree')
      let worktree: WorktreeMode = 'plaintext'
      if (worktreeNode !== undefined) {
        requireVersion('secret', 'worktree', worktreeNode, `${sw}.worktree`)
        const w = isScalar(worktreeNode) ? worktreeNode.value : null
        if (w === 'plaintext' || w === 'ciphertext') worktree = w
        else v.at(worktreeNode, `${sw}.worktree`, 'must be plaintext or ciphertext')
      }
      const sops: SopsOptions = {}
      let sopsRules = 0
      for (const [yamlKey, field] of Object.entries(SOPS_KEYS)) {
        const node = s.get(yamlKey)
        if (node === undefined) continue
        if (field === 'macOnlyEncrypted') {
          if (isScalar(node) && typeof node.value === 'boolean') sops.macOnlyEncrypted = node.value
          else v.at(node, `${sw}.${yamlKey}`, 'must be true or false')
          continue
        }
        sopsRules++
        const value = v.string(node, `${sw}.${yamlKey}`)
        if (value === null) continue
        if (yamlKey.endsWith('regex')) {
          try {
            new RegExp(value)
          } catch {
            v.at(node, `${sw}.${yamlKey}`, 'not a valid regular expression')
          }
        }
        sops[field] = value as never
      }
      if (sopsRules > 1)
        v.at(
          secretNode,
          sw,
          'at most one of unencrypted_suffix, encrypted_suffix, unencrypted_regex, encrypted_regex, unencrypted_comment_regex, encrypted_comment_regex (as in sops)',
        )
      if (namesUnknown) {
        // already reported: an unknown name, not an empty secret
      } else if (recipients.length === 0 && admins.length + targets.length > 0)
        v.at(secretNode, sw, 'ends with no recipient: nobody could decrypt it')
      else if (recipients.length === 0) v.at(secretNode, sw, `ends with no recipient: group '${groupName}' has none`)
      else if (recipients.length > MAX_STANZAS)
        v.at(
          secretNode,
          sw,
          `has ${recipients.length} recipients, more than the ${MAX_STANZAS} an age header may hold; split the secret`,
        )
      const postQuantum = recipients.filter((r) => r.kind === 'x25519-pq')
      if (postQuantum.length > 0 && postQuantum.length < recipients.length) {
        // age (>= 1.3) refuses to encrypt, or decrypt, a file whose recipients mix the two: the
        // classic ones would undo the post-quantum protection.
        const classic = recipients.filter((r) => r.kind !== 'x25519-pq').map((r) => r.name)
        v.at(
          secretNode,
          sw,
          `mixes post-quantum (age1pq1) recipients (${postQuantum.map((r) => r.name).join(', ')}) with classic ones (${classic.join(', ')}), which age refuses; make the group all post-quantum or split the secret`,
        )
      }
      secrets.push({ name: secretName, group: groupName, patterns, excludes, format, worktree, recipients, sops })
    }
  }
  if (v.problems.length) throw new ConfigError(v.problems, source)
  return { version: version ?? 1, people: [...people.values()], groups, secrets, source, ...(scan ? { scan } : {}) }
}

/**
 * The declared schema version: 1 or 2; 'newer' (reported, with the hint to update) for a later
 * one; null (reported) when it is missing or not a version number.
 */
function schemaVersion(v: Validator, node: Node | null | undefined, top: Node): SchemaVersion | 'newer' | null {
  const value = isScalar(node) ? node.value : undefined
  if (value === 1 || value === 2) return value
  if (typeof value === 'number' && Number.isInteger(value) && value > SCHEMA_VERSION) {
    v.at(
      node,
      'version',
      `version ${value} needs a newer git-seal: this one reads versions 1 to ${SCHEMA_VERSION} (version ${SCHEMA_VERSION} is read by git-seal ${FIRST_READER[SCHEMA_VERSION]} and later)`,
    )
    return 'newer'
  }
  v.at(node ?? top, 'version', `must be 1 or ${SCHEMA_VERSION}`)
  return null
}
