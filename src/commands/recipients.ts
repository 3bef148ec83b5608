/**
 * `git-seal recipients [--json]`: per group, who (name, key type, short fingerprint) reads
 * which secrets; `add-recipient` and `remove-recipient` edit .gitseal.yaml in place (keeping
 * its comments and layout), rewrite .gitattributes, then rekey what changed.
 */
import { createHash } from 'node:crypto'
import { parseArgs } from 'node:util'
import { CONFIG_FILE, type Recipient, type SealConfig } from '../config/index.js'
import { resolveKeyArgument } from '../operations/key-argument.js'
import { addRecipientChange, changeConfig, removeRecipientChange, type ConfigChange } from '../operations/recipients.js'
import { SealContext } from '../seal/context.js'
import { UserError, info, printResult, warning } from '../ui.js'
import { report } from './rekey.js'

/** A short, stable fingerprint of a public key, to tell keys apart in listings. */
export function fingerprint(key: string): string {
  const body = key.startsWith('ssh-') ? (key.split(/\s+/)[1] ?? key) : key
  return createHash('sha256').update(body).digest('base64url').slice(0, 10)
}

interface Listing {
  groups: { name: string; recipients: { name: string; role: string; type: string; fingerprint: string; secrets: string[] }[] }[]
}

export function listing(config: SealConfig): Listing {
  return {
    groups: config.groups.map((g) => ({
      name: g.name,
      recipients: [...g.admins, ...g.targets].map((r: Recipient) => ({
        name: r.name,
        role: r.role,
        type: r.kind,
        fingerprint: fingerprint(r.key),
        secrets: config.secrets.filter((s) => s.group === g.name && s.recipients.some((x) => x.name === r.name && x.group === g.name)).map((s) => s.name),
      })),
    })),
  }
}

export function list(args: string[]): number {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } })
  const ctx = SealContext.open()
  try {
    const data = listing(ctx.config())
    if (values.json) printResult(JSON.stringify(data, null, 2))
    else {
      const lines: string[] = []
      for (const g of data.groups) {
        lines.push(`group ${g.name}`)
        for (const r of g.recipients) lines.push(`  ${r.name}\t${r.role}\t${r.type}\t${r.fingerprint}\t${r.secrets.join(', ') || '(no secrets)'}`)
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

export async function add(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { group: { type: 'string', short: 'g' }, admin: { type: 'boolean' }, target: { type: 'boolean' } },
  })
  const [name, ...keyParts] = positionals
  if (!name || !values.group || values.admin === values.target) {
    throw new UserError('usage: git-seal add-recipient NAME [KEY | FILE.pub] --group G (--admin | --target)', 'KEY may be left out for a person already declared in people:')
  }
  const key = keyParts.length > 0 ? resolveKeyArgument(keyParts.join(' ')) : null
  const role = values.admin ? 'admin' : 'target'
  return printChange(await changeConfig(addRecipientChange(values.group, role, name, key)))
}

export async function remove(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { group: { type: 'string', short: 'g' } } })
  const [name] = positionals
  if (!name || positionals.length > 1) throw new UserError('usage: git-seal remove-recipient NAME [--group G]')
  const removed = { groups: [] as string[], person: false }
  const code = printChange(await changeConfig(removeRecipientChange(name, values.group, removed)))
  warning(`${name} could read these secrets until now: removing them does not revoke history`, `rotate the values they knew (see 'git-seal audit ${name}')`)
  return code
}

export const run = list
