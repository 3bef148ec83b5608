/**
 * `git-seal init --from-sops`: a .gitseal.yaml from an existing .sops.yaml, meaning the same.
 *
 * - **Keys**: every form sops accepts for age: `age:` as a comma-separated string or a list, and
 *   `key_groups` holding one group (its `merge:` groups flattened, as sops does). With
 *   `key_groups`, a rule's own key fields are ignored, as sops ignores them. Refused, naming the
 *   rule and each key: several key groups or a `shamir_threshold` above 1 (git-seal encrypts a
 *   file to one set of keys; widening "a key of each group" to "any key" would give more people
 *   access), a rule with no age key, and pgp/kms/gcp_kms/azure_keyvault/hc_vault/hckms keys
 *   unless `dropNonAge`, which imports the age keys and reports who loses access.
 * - **Names**: a key's YAML anchor (`&tim`, wherever it is defined), else its line's comment,
 *   else the start of the key.
 * - **Groups**: the rules are partitioned into the fewest groups whose admins (the keys every
 *   rule of the group names) are not empty (a minimum hitting set of the rules' key sets; exact
 *   for any realistic size); every other key of a rule is a target of the group, named by the
 *   secret of that rule. Each secret so reads exactly the keys its rule names.
 * - **Paths**: each `path_regex` becomes patterns that select exactly the same paths
 *   (sops-regex.ts), or the import fails listing the regexes that cannot be. A rule without a
 *   `path_regex` (or one matching every path) is refused: sops applies it to files one names,
 *   git-seal would encrypt every file of the repository.
 * - **Order**: sops takes the first rule that matches; git-seal refuses a path two secrets
 *   match. Overlapping rules with the same keys and options become one secret; others are
 *   refused, naming a path both match.
 * Pure: reads no file. operations/migrate-sops.ts checks the result against the repository.
 */
import { isAlias, isMap, isScalar, isSeq, parseDocument, visit, type Document, type Node } from 'yaml'
import { UserError } from '../errors.js'
import { classifyKey } from './keys.js'
import { UntranslatableRegex, overlapWitness, translatePathRegex, type TranslatedRegex } from './sops-regex.js'
import { SOPS_RULE_KEYS } from '../formats/sops/rule-names.js'

/** Key types sops accepts besides age, by the field that names them. */
export type OtherKeyKind = 'pgp' | 'kms' | 'gcp_kms' | 'azure_keyvault' | 'hc_vault' | 'hckms'

/** A key a rule names that git-seal cannot encrypt to. */
export interface OtherKey {
  kind: OtherKeyKind
  /** the fingerprint, ARN, resource id, URL… */
  id: string
  /** its YAML anchor, when it has one */
  name: string | null
}

/** The encryption options of a creation rule that carry over to a secret. */
const RULE_OPTIONS = SOPS_RULE_KEYS

/** One creation rule as read. */
export interface SopsRule {
  /** 1-based, as a person counts them */
  number: number
  pathRegex: string | null
  /** age recipients, in order, without duplicates */
  age: string[]
  others: OtherKey[]
  keyGroups: number
  shamirThreshold: number | null
  options: Partial<Record<(typeof RULE_OPTIONS)[number], string | boolean>>
}

/** One secret of the imported config. */
export interface ImportedSecret {
  name: string
  group: string
  /** the .sops.yaml rules it comes from (several when overlapping rules with the same keys were joined) */
  rules: number[]
  regexes: (string | null)[]
  patterns: string[]
  /** recipient names: the group's admins, then its own targets */
  admins: string[]
  targets: string[]
  /** the translated regexes, for checking the result against the repository */
  translated: TranslatedRegex[]
}

/** What the import made, for the caller to print and check. */
export interface SopsImport {
  /** the .gitseal.yaml text */
  config: string
  groups: { name: string; admins: string[]; targets: string[] }[]
  secrets: ImportedSecret[]
  /** the keys each rule names that git-seal does not encrypt to (with dropNonAge) */
  dropped: { rule: number; secret: string; keys: OtherKey[] }[]
  /** the recipient name of each key */
  names: Map<string, string>
  /** what the import left as sops leaves it (a rule's own keys beside key_groups) */
  notes: string[]
}

export interface ImportOptions {
  /** import the age keys of rules that also name other keys, instead of refusing them */
  dropNonAge?: boolean
  /** `worktree: ciphertext` on every secret (and `version: 2`) */
  ciphertextWorktree?: boolean
}

const OTHER_RULE_FIELDS: [string, OtherKeyKind][] = [
  ['pgp', 'pgp'],
  ['kms', 'kms'],
  ['gcp_kms', 'gcp_kms'],
  ['azure_keyvault', 'azure_keyvault'],
  ['hc_vault_transit_uri', 'hc_vault'],
  ['hckms', 'hckms'],
]
const OTHER_GROUP_FIELDS: [string, OtherKeyKind][] = [
  ['pgp', 'pgp'],
  ['kms', 'kms'],
  ['gcp_kms', 'gcp_kms'],
  ['azure_keyvault', 'azure_keyvault'],
  ['hc_vault', 'hc_vault'],
  ['hckms', 'hckms'],
]

/** A key as named in messages: `pgp admin_alice (2504791468b1…)`. */
export function describeKey(key: OtherKey): string {
  const id = key.id.length > 24 ? `${key.id.slice(0, 24)}…` : key.id
  return key.name ? `${key.kind} ${key.name} (${id})` : `${key.kind} ${id}`
}

/** A regex as the user wrote it, on one line, between single quotes. */
const shownRegex = (regex: string): string => `'${regex.replace(/\n/g, '\\n')}'`

/** The rule as named in messages: `rule 2 (path_regex 'secrets/x/.*')`. */
export function describeRule(rule: { number: number; pathRegex: string | null }): string {
  return `rule ${rule.number} (${rule.pathRegex === null ? 'no path_regex' : `path_regex ${shownRegex(rule.pathRegex)}`})`
}

/** Reads .sops.yaml's nodes: anchors and comments name keys; values are resolved through aliases. */
class SopsYaml {
  /** key value → the anchor it was defined under */
  readonly anchors = new Map<string, string>()
  /** key value → the comment on its line */
  readonly comments = new Map<string, string>()

  constructor(readonly doc: Document) {
    visit(doc, {
      Scalar: (_key, node) => {
        if (typeof node.value !== 'string') return
        const value = node.value.trim()
        if (node.anchor && !this.anchors.has(value)) this.anchors.set(value, node.anchor)
        const comment = node.comment?.trim()
        if (comment && /^[\w.@+-]{1,40}$/.test(comment) && !this.comments.has(value)) this.comments.set(value, comment)
      },
    })
  }

  resolve(node: unknown): unknown {
    return isAlias(node) ? node.resolve(this.doc) : node
  }

  /** A string or list-of-strings field, each string split at commas as sops does: [value, anchor] pairs. */
  strings(node: unknown, where: string): [string, string | null][] {
    const out: [string, string | null][] = []
    const one = (item: unknown): void => {
      const anchor = isAlias(item) ? item.source : isScalar(item) && item.anchor ? item.anchor : null
      const resolved = this.resolve(item)
      if (
        resolved === null ||
        resolved === undefined ||
        (isScalar(resolved) && (resolved.value === null || resolved.value === ''))
      )
        return
      if (!isScalar(resolved) || typeof resolved.value !== 'string')
        throw new UserError(
          `.sops.yaml: ${where}: expected a string or a list of strings`,
          'fix .sops.yaml (sops reads the same file), then run the command again',
        )
      const parts = resolved.value
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean)
      for (const part of parts) out.push([part, parts.length === 1 ? anchor : null])
    }
    const resolved = this.resolve(node)
    if (isSeq(resolved)) resolved.items.forEach(one)
    else one(node)
    return out
  }

  /** Key ids in a list of mappings (`kms: [{arn: ...}]`), or plain strings. */
  ids(node: unknown, field: string, where: string): [string, string | null][] {
    const resolved = this.resolve(node)
    const idField: Record<string, string[]> = {
      kms: ['arn'],
      gcp_kms: ['resource_id'],
      azure_keyvault: ['vaultUrl', 'key'],
      hckms: ['key_id'],
    }
    if (!isSeq(resolved) || !idField[field]) return this.strings(node, where)
    return resolved.items.map((item) => {
      const map = this.resolve(item)
      if (isMap(map)) return [idField[field]!.map((f) => String(map.get(f) ?? '')).join('/'), null]
      return this.strings(item, where)[0] ?? ['', null]
    })
  }
}

/**
 * Reads the creation rules of a .sops.yaml.
 * @throws {UserError} when it does not parse or has no creation_rules.
 */
export function readSopsRules(text: string): {
  rules: SopsRule[]
  names: { anchors: Map<string, string>; comments: Map<string, string> }
  notes: string[]
} {
  const doc = parseDocument(text)
  if (doc.errors.length)
    throw new UserError(
      `.sops.yaml does not parse: ${doc.errors[0]!.message.split('\n')[0]}`,
      'fix .sops.yaml (sops reads the same file), then run the command again',
    )
  const y = new SopsYaml(doc)
  const top = y.resolve(doc.contents)
  const rulesNode = isMap(top) ? y.resolve(top.get('creation_rules', true)) : null
  if (!isSeq(rulesNode) || rulesNode.items.length === 0)
    throw new UserError(
      '.sops.yaml has no creation_rules',
      'git-seal translates creation_rules; there is nothing to import',
    )
  const notes: string[] = []
  const rules = rulesNode.items.map((item, i): SopsRule => {
    const number = i + 1
    const map = y.resolve(item)
    if (!isMap(map))
      throw new UserError(
        `.sops.yaml: creation rule ${number} is not a mapping`,
        'fix .sops.yaml (sops reads the same file), then run the command again',
      )
    const field = (name: string): Node | null => (map.get(name, true) as Node | undefined) ?? null
    const regexNode = y.resolve(field('path_regex'))
    const pathRegex =
      isScalar(regexNode) && regexNode.value !== null && String(regexNode.value) !== '' ? String(regexNode.value) : null
    const rule: SopsRule = { number, pathRegex, age: [], others: [], keyGroups: 0, shamirThreshold: null, options: {} }
    const addAge = (pairs: [string, string | null][]): void => {
      for (const [key] of pairs) if (!rule.age.includes(key)) rule.age.push(key)
    }
    const addOthers = (kind: OtherKeyKind, pairs: [string, string | null][]): void => {
      for (const [id, anchor] of pairs)
        if (!rule.others.some((o) => o.kind === kind && o.id === id))
          rule.others.push({ kind, id, name: anchor ?? y.anchors.get(id) ?? null })
    }
    const groups = y.resolve(field('key_groups'))
    if (isSeq(groups) && groups.items.length > 0) {
      rule.keyGroups = groups.items.length
      const readGroup = (node: unknown, where: string): void => {
        const g = y.resolve(node)
        if (!isMap(g))
          throw new UserError(
            `.sops.yaml: ${where} is not a mapping`,
            'fix .sops.yaml (sops reads the same file), then run the command again',
          )
        addAge(y.strings(g.get('age', true), `${where}.age`))
        for (const [name, kind] of OTHER_GROUP_FIELDS)
          addOthers(kind, y.ids(g.get(name, true), name, `${where}.${name}`))
        const merged = y.resolve(g.get('merge', true))
        if (isSeq(merged)) {
          merged.items.forEach((m, k) => {
            readGroup(m, `${where}.merge[${k}]`)
          })
        }
      }
      groups.items.forEach((g, k) => {
        readGroup(g, `creation rule ${number}: key_groups[${k}]`)
      })
      const ignored = ['age', ...OTHER_RULE_FIELDS.map(([f]) => f)].filter((f) => field(f) !== null)
      if (ignored.length > 0)
        notes.push(
          `${describeRule(rule)}: its own ${ignored.join(', ')} are ignored, as sops ignores them beside key_groups`,
        )
    } else {
      addAge(y.strings(field('age'), `creation rule ${number}: age`))
      for (const [name, kind] of OTHER_RULE_FIELDS)
        addOthers(kind, y.ids(field(name), name, `creation rule ${number}: ${name}`))
    }
    const shamir = y.resolve(field('shamir_threshold'))
    if (isScalar(shamir) && shamir.value !== null) rule.shamirThreshold = Number(shamir.value)
    for (const option of RULE_OPTIONS) {
      const v = y.resolve(field(option))
      if (!isScalar(v) || v.value === null || v.value === '' || v.value === false) continue
      rule.options[option] =
        option === 'mac_only_encrypted' ? v.value === true || String(v.value) === 'true' : String(v.value)
    }
    return rule
  })
  return { rules, names: { anchors: y.anchors, comments: y.comments }, notes }
}

/** A recipient name: lowercase-insensitive word characters, '.', '-', '@', '+'. */
function cleanName(raw: string): string {
  return raw.replace(/[^\w.@+-]+/g, '-').replace(/^-+|-+$/g, '') || 'key'
}

/** Names for keys: anchor, else comment, else the key's start; unique. */
function nameKeys(
  keys: string[],
  names: { anchors: Map<string, string>; comments: Map<string, string> },
): Map<string, string> {
  const out = new Map<string, string>()
  const used = new Set<string>()
  for (const key of keys) {
    const base = cleanName(
      names.anchors.get(key) ??
        names.comments.get(key) ??
        (key.startsWith('ssh-')
          ? (key.split(/\s+/)[2] ?? `ssh-${key.split(/\s+/)[1]?.slice(-8) ?? 'key'}`)
          : key.slice(0, 12)),
    )
    let name = base
    for (let n = 2; used.has(name); n++) name = `${base}-${n}`
    used.add(name)
    out.set(key, name)
  }
  return out
}

/** A secret's name from its regex's leading literal directories (`secrets/azmidi/...` → `secrets-azmidi`), else `rule-N`. */
function secretName(rule: SopsRule, used: Set<string>): string {
  const literal = /^\^?((?:[\w-]|\\[./-]|\/)*)/.exec(rule.pathRegex ?? '')?.[1] ?? ''
  const unescaped = literal.replace(/\\(.)/g, '$1')
  const dirs = unescaped.includes('/') ? unescaped.slice(0, unescaped.lastIndexOf('/')) : ''
  let base = cleanName(dirs.replace(/\//g, '-'))
  if (!dirs || base === 'key') base = `rule-${rule.number}`
  let name = base
  for (let n = 2; used.has(name); n++) name = `${base}-${n}`
  used.add(name)
  return name
}

/**
 * The fewest keys such that every set holds one of them (a minimum hitting set), preferring
 * keys more sets name. Branches on the first set no chosen key hits, which is exact and, for the
 * handful of rules a .sops.yaml has, immediate; past a budget it settles for the greedy answer.
 */
export function fewestCoveringKeys(sets: string[][]): string[] {
  const frequency = new Map<string, number>()
  for (const set of sets) for (const k of new Set(set)) frequency.set(k, (frequency.get(k) ?? 0) + 1)
  const byFrequency = (set: string[]): string[] =>
    [...new Set(set)].sort((a, b) => frequency.get(b)! - frequency.get(a)!)
  let budget = 200_000
  const search = (chosen: string[], limit: number): string[] | null => {
    const open = sets.find((set) => !set.some((k) => chosen.includes(k)))
    if (!open) return chosen
    if (chosen.length === limit || --budget < 0) return null
    for (const k of byFrequency(open)) {
      const found = search([...chosen, k], limit)
      if (found) return found
    }
    return null
  }
  for (let limit = 1; limit <= sets.length; limit++) {
    const found = search([], limit)
    if (found) return found.sort((a, b) => frequency.get(b)! - frequency.get(a)!)
    if (budget < 0) break
  }
  // Greedy: the key that hits the most sets not yet hit, until all are.
  const chosen: string[] = []
  for (;;) {
    const open = sets.filter((set) => !set.some((k) => chosen.includes(k)))
    if (open.length === 0) return chosen
    const counts = new Map<string, number>()
    for (const set of open) for (const k of new Set(set)) counts.set(k, (counts.get(k) ?? 0) + 1)
    chosen.push([...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0])
  }
}

/** YAML for a name in the config: plain when it can be, quoted otherwise. */
function yamlName(name: string): string {
  return /^[A-Za-z_][\w.@+-]*$/.test(name) && !/^(true|false|null|yes|no|on|off|y|n)$/i.test(name)
    ? name
    : JSON.stringify(name)
}

const sameOptions = (a: SopsRule, b: SopsRule): boolean => JSON.stringify(a.options) === JSON.stringify(b.options)
const sameKeys = (a: string[], b: string[]): boolean => a.length === b.length && a.every((k) => b.includes(k))

/**
 * A .gitseal.yaml meaning what `text` (a .sops.yaml) means (see the top of this file).
 * @throws {UserError} listing every rule that cannot be imported and why (each key it names,
 *   each regex that cannot be translated, each path two rules both match).
 */
export function importSopsConfig(text: string, options: ImportOptions = {}): SopsImport {
  const { rules, names, notes } = readSopsRules(text)
  const problems: string[] = []
  const hints = new Set<string>()
  const translated = new Map<number, TranslatedRegex>()
  const dropped: { rule: SopsRule; keys: OtherKey[] }[] = []
  for (const rule of rules) {
    const what = describeRule(rule)
    if (rule.keyGroups > 1 || (rule.shamirThreshold ?? 0) > 1) {
      const keys = [...rule.age.map((k) => `age ${names.anchors.get(k) ?? k}`), ...rule.others.map(describeKey)]
      problems.push(
        `${what}: ${rule.keyGroups > 1 ? `${rule.keyGroups} key groups` : ''}${rule.keyGroups > 1 && rule.shamirThreshold ? ', ' : ''}${rule.shamirThreshold ? `shamir_threshold ${rule.shamirThreshold}` : ''}: a file needs keys from several groups to open (${keys.join(', ')}); git-seal encrypts to one set of age keys, any of which opens it`,
      )
      hints.add(
        'put the age keys of such a rule in one key group (anyone of them can then decrypt), or keep that rule with sops',
      )
      continue
    }
    if (rule.age.length === 0) {
      problems.push(
        `${what}: names no age key${rule.others.length ? ` (only ${rule.others.map(describeKey).join(', ')})` : ''}`,
      )
      hints.add(
        'add age keys to such rules first (ssh-to-age turns a host or user SSH key into one), then import again',
      )
      continue
    }
    for (const key of rule.age) {
      const kind = classifyKey(key)
      if ('problem' in kind) problems.push(`${what}: age key ${names.anchors.get(key) ?? key}: ${kind.problem}`)
    }
    if (rule.others.length > 0) {
      if (options.dropNonAge) dropped.push({ rule, keys: rule.others })
      else {
        problems.push(`${what}: names keys git-seal cannot encrypt to: ${rule.others.map(describeKey).join(', ')}`)
        hints.add(
          'git-seal encrypts to age keys only: replace those keys with age keys in .sops.yaml, or pass --drop-non-age to import the age keys alone (the others lose access at the next re-encryption)',
        )
      }
    }
    if (rule.pathRegex === null) {
      problems.push(
        `${what}: matches every path; sops applies it to the files you name, but git-seal would encrypt every file of the repository`,
      )
      hints.add(
        'give such a rule a path_regex naming the secret files (sops then uses it the same way), and import again',
      )
      continue
    }
    try {
      const t = translatePathRegex(rule.pathRegex)
      if (t.patterns.includes('**')) {
        problems.push(`${what}: matches every path; git-seal would encrypt every file of the repository`)
        hints.add(
          'give such a rule a path_regex naming the secret files (sops then uses it the same way), and import again',
        )
        continue
      }
      translated.set(rule.number, t)
    } catch (e) {
      if (!(e instanceof UntranslatableRegex)) throw e
      problems.push(`${what}: cannot be written as gitattributes patterns: ${e.message}`)
      hints.add(
        'rewrite such a path_regex with literal text, [^/]+ or [^/]* for part of a name, .* across directories, (a|b) and \\. (sops reads the new one the same way), and import again',
      )
    }
  }
  if (problems.length > 0) throw importError(problems, hints)

  // Overlapping rules: one secret when they mean the same; otherwise sops's order cannot be kept.
  type Draft = { rules: SopsRule[]; translated: TranslatedRegex[] }
  const drafts: Draft[] = rules.map((rule) => ({ rules: [rule], translated: [translated.get(rule.number)!] }))
  const overlap = (a: Draft, b: Draft): string | null => {
    for (const x of a.translated)
      for (const y of b.translated) {
        const w = overlapWitness(x, y)
        if (w !== null) return w
      }
    return null
  }
  for (let i = 0; i < drafts.length; i++) {
    for (let j = i + 1; j < drafts.length; j++) {
      const a = drafts[i]!
      const b = drafts[j]!
      const witness = overlap(a, b)
      if (witness === null) continue
      const [ra, rb] = [a.rules[0]!, b.rules[0]!]
      if (sameKeys(ra.age, rb.age) && sameOptions(ra, rb)) {
        a.rules.push(...b.rules)
        a.translated.push(...b.translated)
        drafts.splice(j, 1)
        j = i // compare the joined secret with every later one again
        continue
      }
      problems.push(
        `rules ${ra.number} and ${rb.number} both match ${witness} (and more like it): sops takes rule ${ra.number}, the first; git-seal refuses a path two secrets match`,
      )
      hints.add(
        "make the path_regex of such rules disjoint in .sops.yaml (for example '^secrets/common/' and '^secrets/hosts/' rather than '^secrets/'), and import again",
      )
    }
  }
  if (problems.length > 0) throw importError(problems, hints)

  const allKeys: string[] = []
  for (const rule of rules) for (const k of rule.age) if (!allKeys.includes(k)) allKeys.push(k)
  const keyNames = nameKeys(allKeys, names)
  const order = (keys: Iterable<string>): string[] => allKeys.filter((k) => [...keys].includes(k))

  // Groups: the fewest whose admins are not empty.
  const covering = fewestCoveringKeys(drafts.map((d) => d.rules[0]!.age))
  const members = new Map<string, Draft[]>()
  for (const d of drafts) {
    const by = covering.find((k) => d.rules[0]!.age.includes(k))!
    members.set(by, [...(members.get(by) ?? []), d])
  }
  const usedGroupNames = new Set<string>()
  const usedSecretNames = new Set<string>()
  const groups: SopsImport['groups'] = []
  const secrets: ImportedSecret[] = []
  const lines: string[] = [
    '# Generated from .sops.yaml by `git-seal init --from-sops`: each secret selects exactly the',
    '# paths its creation rule did, for exactly the keys it named. Recipients are named after their',
    "# YAML anchors; a group's admins are the keys every one of its rules names.",
    `version: ${options.ciphertextWorktree ? 2 : 1}`,
    'groups:',
  ]
  for (const [by, groupDrafts] of members) {
    const admins = order(
      groupDrafts.map((d) => d.rules[0]!.age).reduce((acc, keys) => acc.filter((k) => keys.includes(k))),
    )
    const targets = order(new Set(groupDrafts.flatMap((d) => d.rules[0]!.age).filter((k) => !admins.includes(k))))
    let groupName = members.size === 1 ? 'default' : keyNames.get(by)!
    for (let n = 2; usedGroupNames.has(groupName); n++) groupName = `${keyNames.get(by)!}-${n}`
    usedGroupNames.add(groupName)
    groups.push({
      name: groupName,
      admins: admins.map((k) => keyNames.get(k)!),
      targets: targets.map((k) => keyNames.get(k)!),
    })
    lines.push(`  ${yamlName(groupName)}:`, '    recipients:', '      admins:')
    for (const k of admins)
      lines.push(`        - name: ${yamlName(keyNames.get(k)!)}`, `          key: ${JSON.stringify(k)}`)
    if (targets.length > 0) {
      lines.push('      targets:')
      for (const k of targets)
        lines.push(`        - name: ${yamlName(keyNames.get(k)!)}`, `          key: ${JSON.stringify(k)}`)
    }
    lines.push('    secrets:')
    for (const d of groupDrafts) {
      const first = d.rules[0]!
      const name = secretName(first, usedSecretNames)
      const patterns = [...new Set(d.translated.flatMap((t) => t.patterns))]
      const own = order(first.age.filter((k) => !admins.includes(k)))
      const secret: ImportedSecret = {
        name,
        group: groupName,
        rules: d.rules.map((r) => r.number),
        regexes: d.rules.map((r) => r.pathRegex),
        patterns,
        admins: admins.map((k) => keyNames.get(k)!),
        targets: own.map((k) => keyNames.get(k)!),
        translated: d.translated,
      }
      secrets.push(secret)
      lines.push(`      ${yamlName(name)}:`)
      for (const r of d.rules)
        lines.push(`        # .sops.yaml rule ${r.number}: path_regex ${shownRegex(r.pathRegex ?? '')}`)
      lines.push('        path:', ...patterns.map((p) => `          - ${JSON.stringify(p)}`))
      if (own.length > 0) lines.push(`        targets: [${own.map((k) => yamlName(keyNames.get(k)!)).join(', ')}]`)
      // sops wrote these files, whatever their type (its binary store for the others).
      lines.push('        format: sops')
      if (options.ciphertextWorktree) lines.push('        worktree: ciphertext')
      for (const option of RULE_OPTIONS) {
        const v = first.options[option]
        if (v !== undefined) lines.push(`        ${option}: ${typeof v === 'boolean' ? String(v) : JSON.stringify(v)}`)
      }
    }
  }
  const secretOf = new Map(secrets.flatMap((s) => s.rules.map((n) => [n, s.name] as const)))
  return {
    config: lines.join('\n') + '\n',
    groups,
    secrets,
    dropped: dropped.map(({ rule, keys }) => ({ rule: rule.number, secret: secretOf.get(rule.number)!, keys })),
    names: keyNames,
    notes,
  }
}

function importError(problems: string[], hints: Set<string>): UserError {
  const message =
    problems.length === 1
      ? `cannot import .sops.yaml: ${problems[0]}`
      : `cannot import .sops.yaml (${problems.length} problems):\n  ${problems.join('\n  ')}`
  return new UserError(message, [...hints].join('\n'))
}
