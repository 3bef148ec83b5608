/**
 * `git-seal recipients [--json]`: per group, who (name, key type, short fingerprint) reads
 * which secrets; `add-recipient` and `remove-recipient` edit .gitseal.yaml in place (keeping
 * its comments and layout), rewrite .gitattributes, then rekey what changed.
 */
import { createHash } from 'node:crypto'
import { CONFIG_FILE, classifyKey, type Recipient, type SealConfig } from '../config/index.js'
import { resolveKeyArgument } from '../operations/key-argument.js'
import { addRecipientChange, changeConfig, removeRecipientChange, type ConfigChange } from '../operations/recipients.js'
import { SealContext } from '../seal/context.js'
import { UserError, columns, info, printResult, tint, warning } from '../ui.js'
import { UsageError } from '../errors.js'
import { auditHistory } from '../operations/audit.js'
import { repoPaths } from '../git/repo.js'
import { exposureLines } from './audit.js'
import { report } from './rekey.js'
import { collectStatus, repoRelative, type SecretStatus } from './status.js'

/** A short, stable fingerprint of a public key, to tell keys apart in listings. */
export function fingerprint(key: string): string {
  const body = key.startsWith('ssh-') ? (key.split(/\s+/)[1] ?? key) : key
  return createHash('sha256').update(body).digest('base64url').slice(0, 10)
}

interface Listing {
  people: { name: string; key: string; type: string; fingerprint: string; comment?: string; groups: string[] }[]
  groups: { name: string; recipients: { name: string; role: string; type: string; key: string; fingerprint: string; person: boolean; secrets: string[] }[] }[]
}

export function listing(config: SealConfig): Listing {
  return {
    people: config.people.map((p) => ({
      name: p.name,
      key: p.key,
      type: p.kind,
      fingerprint: fingerprint(p.key),
      ...(p.comment !== undefined ? { comment: p.comment } : {}),
      groups: config.groups.filter((g) => [...g.admins, ...g.targets].some((r) => r.person && r.name === p.name)).map((g) => g.name),
    })),
    groups: config.groups.map((g) => ({
      name: g.name,
      recipients: [...g.admins, ...g.targets].map((r: Recipient) => ({
        name: r.name,
        role: r.role,
        type: r.kind,
        key: r.key,
        fingerprint: fingerprint(r.key),
        person: r.person,
        secrets: config.secrets.filter((s) => s.group === g.name && s.recipients.some((x) => x.name === r.name && x.group === g.name)).map((s) => s.name),
      })),
    })),
  }
}

/** One file's answer to "who can read this?": who the config names, and whom the stored blob is for. */
interface FileReaders {
  path: string
  secret: string | null
  group: string | null
  format: string | null
  index: string
  readers: { name: string; role: string; key: string; evidence: string; basis?: string }[]
  /** whether the index holds a blob, and whether it says whom it is for */
  stored: 'known' | 'unknown' | 'absent'
  problems: string[]
}

function fileReaders(config: SealConfig, s: SecretStatus): FileReaders {
  const rule = config.secrets.find((r) => r.name === s.secret) ?? null
  const roleOf = (name: string): string => rule?.recipients.find((r) => r.name === name)?.role ?? 'not configured'
  const configured = rule?.recipients ?? []
  let readers: FileReaders['readers']
  if (s.readers === null) {
    readers = configured.map((r) => ({ name: r.name, role: r.role, key: r.key, evidence: s.index === 'ciphertext' ? 'configured (the blob does not say)' : 'configured' }))
  } else {
    readers = s.readers.map((r) => ({ name: r.name, role: roleOf(r.name), key: r.key, evidence: r.evidence, ...(r.basis ? { basis: r.basis } : {}) }))
    for (const r of configured) if (!s.readers.some((x) => x.name === r.name)) readers.push({ name: r.name, role: r.role, key: r.key, evidence: "missing: not encrypted to them yet ('git-seal rekey')" })
  }
  return {
    path: s.path,
    secret: s.secret,
    group: s.group,
    format: s.format,
    index: s.index,
    readers,
    stored: s.index !== 'ciphertext' ? 'absent' : s.readers === null ? 'unknown' : 'known',
    problems: s.problems.map((p) => p.message),
  }
}

function kindOf(key: string): string {
  if (key.startsWith('fingerprint:')) return 'unknown key'
  const kind = classifyKey(key)
  return 'kind' in kind ? kind.kind : '?'
}

/** `recipients PATH...`: who can read each file. */
async function whoReads(ctx: SealContext, pathspecs: string[], json: boolean): Promise<number> {
  const config = ctx.config()
  const report = await collectStatus(ctx, config, repoRelative(ctx.root, pathspecs))
  if (report.secrets.length === 0) throw new UserError(`${pathspecs.join(', ')}: not a secret (no rule of ${CONFIG_FILE} matches it)`, "'git-seal status' lists every secret")
  const files = report.secrets.map((s) => fileReaders(config, s))
  if (json) {
    printResult(JSON.stringify({ files }, null, 2))
    return 0
  }
  const lines: string[] = []
  for (const f of files) {
    const where = f.stored === 'absent' ? 'not in the index yet' : f.stored === 'unknown' ? 'stored; the blob does not say whom it is for' : 'stored'
    lines.push(`${f.path}: secret ${f.secret ?? '?'}${f.group ? ` (group ${f.group})` : ''}, ${f.format ?? '?'}, ${where}`)
    const evidence = (r: FileReaders['readers'][number]): string =>
      r.evidence === 'verified' ? `${tint('good', 'verified')}${r.basis ? ` (${r.basis})` : ''}` : r.evidence.startsWith('missing') ? tint('warn', r.evidence) : r.evidence
    lines.push(...columns(f.readers.map((r) => [r.name, r.role === 'not configured' ? tint('bad', r.role) : r.role, kindOf(r.key), evidence(r), r.key]), '  '))
    for (const p of f.problems) lines.push(`  ${tint('bad', 'problem:')} ${p}`)
  }
  printResult(lines.join('\n'))
  return 0
}

export async function list({ values, positionals }: { values: { json?: boolean }; positionals: string[] }): Promise<number> {
  const ctx = SealContext.open()
  try {
    if (positionals.length > 0) return await whoReads(ctx, positionals, values.json === true)
    const data = listing(ctx.config())
    if (values.json) printResult(JSON.stringify(data, null, 2))
    else {
      const lines: string[] = []
      for (const g of data.groups) {
        lines.push(`group ${g.name}`)
        lines.push(...columns(g.recipients.map((r) => [r.name, r.role, r.type, r.fingerprint, r.secrets.join(', ') || '(no secrets)']), '  '))
      }
      printResult(lines.join('\n') || 'no recipients')
    }
    return 0
  } finally {
    ctx.close()
  }
}

/** Prints what a config change did, then its rekey; the exit status. */
export function printChange(change: ConfigChange): number {
  info(`${change.summary} in ${CONFIG_FILE}`)
  if (change.attributesUpdated) info('updated .gitattributes')
  if (change.sopsConfigUpdated) info('updated .sops.yaml (generated from .gitseal.yaml)')
  if (change.outcomes === null) {
    warning('no age identity here, so nothing was re-encrypted', "someone who can decrypt the secrets runs 'git-seal rekey'")
    return 0
  }
  return report(change.outcomes)
}

export async function add({ values, positionals }: { values: { group?: string; admin?: boolean; target?: boolean }; positionals: string[] }): Promise<number> {
  const [name, ...keyParts] = positionals
  if (!name || !values.group || values.admin === values.target) {
    throw new UsageError(!values.group ? 'missing option --group' : values.admin ? 'give one of --admin and --target, not both' : 'missing option --admin or --target')
  }
  const key = keyParts.length > 0 ? resolveKeyArgument(keyParts.join(' ')) : null
  const role = values.admin ? 'admin' : 'target'
  return printChange(await changeConfig(addRecipientChange(values.group, role, name, key)))
}

export async function remove({ values, positionals }: { values: { group?: string }; positionals: string[] }): Promise<number> {
  const [name] = positionals
  if (!name) throw new UsageError('missing argument NAME')
  const removed = { groups: [] as string[], person: false }
  const code = printChange(await changeConfig(removeRecipientChange(name, values.group, removed)))
  // The exact list of what they could read, from history: the versions stay theirs.
  const root = repoPaths().top!
  const audit = (await auditHistory(root, name, null)).recipients[0]
  const paths = audit?.paths ?? []
  warning(`${name} could read ${paths.length} secret file(s) until now: removing them does not revoke history`, `rotate the values they knew; 'git-seal audit ${name}' shows later which were rotated`)
  if (paths.length > 0) {
    printResult(
      [
        `${name} could read these secrets (and versions):`,
        ...exposureLines(paths, '  '),
        '',
        'what to rotate:',
        ...paths.map((e) => `  - the values in ${e.path}${e.versions.length > 1 ? ` (all ${e.versions.length} versions they could read)` : ''}`),
        "  - then commit this change; anything they copied before stays theirs",
      ].join('\n'),
    )
  }
  return code
}

export const run = list
