/**
 * `git-seal recipients [--json]`: per group, who (name, key type, short fingerprint) reads
 * which secrets; `add-recipient` and `remove-recipient` edit .gitseal.yaml in place (keeping
 * its comments and layout), rewrite .gitattributes, then rekey what changed.
 */
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CONFIG_FILE, addRecipient, parseConfig, removeRecipient, type Recipient, type SealConfig } from '../config/index.js'
import { SealContext } from '../seal/context.js'
import { UserError, info, printResult, warning } from '../ui.js'
import { UsageError } from '../errors.js'
import { rekey, report } from './rekey.js'
import { refreshSopsConfig } from './sops-config.js'
import { syncAttributes } from './sync.js'

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

export function list({ values }: { values: { json?: boolean } }): number {
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

async function editAndRekey(edit: (text: string) => string, what: string): Promise<number> {
  const ctx = SealContext.open()
  try {
    const file = join(ctx.root, CONFIG_FILE)
    const before = readFileSync(file, 'utf8')
    const after = edit(before)
    parseConfig(after, CONFIG_FILE) // refuse to write a config that does not validate
    writeFileSync(file, after)
    info(`${what} in ${CONFIG_FILE}`)
    if (syncAttributes(ctx.root)) info('updated .gitattributes')
    if (refreshSopsConfig(ctx.root, parseConfig(after, CONFIG_FILE))) info('updated .sops.yaml (generated from .gitseal.yaml)')
    if (ctx.identities().length === 0) {
      warning('no age identity here, so nothing was re-encrypted', "someone who can decrypt the secrets runs 'git-seal rekey'")
      return 0
    }
    const fresh = new SealContext(ctx.paths, ctx.root)
    try {
      return report(await rekey(fresh, []))
    } finally {
      fresh.close()
    }
  } finally {
    ctx.close()
  }
}

export async function add({ values, positionals }: { values: { group?: string; admin?: boolean; target?: boolean }; positionals: string[] }): Promise<number> {
  const [name, ...keyParts] = positionals
  const key = keyParts.join(' ')
  if (!name || !key || !values.group || values.admin === values.target) {
    throw new UsageError(!values.group ? 'missing option --group' : values.admin ? 'give one of --admin and --target, not both' : 'missing option --admin or --target')
  }
  const role = values.admin ? 'admin' : 'target'
  return editAndRekey((text) => addRecipient(text, values.group!, role, name, key), `added ${role} ${name} to group ${values.group}`)
}

export async function remove({ values, positionals }: { values: { group?: string }; positionals: string[] }): Promise<number> {
  const [name] = positionals
  if (!name) throw new UsageError('missing argument NAME')
  let groups: string[] = []
  const code = await editAndRekey((text) => {
    const result = removeRecipient(text, name, values.group)
    groups = result.removedFrom
    if (groups.length === 0) throw new UserError(`no recipient named ${name}${values.group ? ` in group ${values.group}` : ''}`)
    return result.text
  }, `removed ${name}`)
  warning(`${name} could read these secrets until now: removing them does not revoke history`, `rotate the values they knew (see 'git-seal audit ${name}')`)
  return code
}

export const run = list
