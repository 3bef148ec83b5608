/**
 * Who reads what (`git-seal recipients [PATH...]`): per group, who reads which secrets, as the
 * config says; per file, who the config names and whom the stored blob is for.
 */
import { createHash } from 'node:crypto'
import { CONFIG_FILE, type Recipient, type SealConfig } from '../config/index.js'
import { SealContext } from '../seal/context.js'
import { recipientChange } from '../seal/recipient-change.js'
import { UserError } from '../ui.js'
import { collectStatus, repoRelative, type SecretStatus } from './status.js'

/** A short, stable fingerprint of a public key, to tell keys apart in listings. */
export function fingerprint(key: string): string {
  const body = key.startsWith('ssh-') ? (key.split(/\s+/)[1] ?? key) : key
  return createHash('sha256').update(body).digest('base64url').slice(0, 10)
}

export interface Listing {
  people: { name: string; key: string; type: string; fingerprint: string; comment?: string; groups: string[] }[]
  groups: {
    name: string
    recipients: {
      name: string
      role: string
      type: string
      key: string
      fingerprint: string
      person: boolean
      secrets: string[]
    }[]
  }[]
}

export function listing(config: SealConfig): Listing {
  return {
    people: config.people.map((p) => ({
      name: p.name,
      key: p.key,
      type: p.kind,
      fingerprint: fingerprint(p.key),
      ...(p.comment !== undefined ? { comment: p.comment } : {}),
      groups: config.groups
        .filter((g) => [...g.admins, ...g.targets].some((r) => r.person && r.name === p.name))
        .map((g) => g.name),
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
        secrets: config.secrets
          .filter((s) => s.group === g.name && s.recipients.some((x) => x.name === r.name && x.group === g.name))
          .map((s) => s.name),
      })),
    })),
  }
}

/** One file's answer to "who can read this?": who the config names, and whom the stored blob is for. */
export interface FileReaders {
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
    readers = configured.map((r) => ({
      name: r.name,
      role: r.role,
      key: r.key,
      evidence: s.index === 'ciphertext' ? 'configured (the blob does not say)' : 'configured',
    }))
  } else {
    readers = s.readers.map((r) => ({
      name: r.name,
      role: roleOf(r.name),
      key: r.key,
      evidence: r.evidence,
      ...(r.basis ? { basis: r.basis } : {}),
    }))
    const { added: notYetReaders } = recipientChange(
      configured.map((r) => r.name),
      s.readers.map((r) => r.name),
    )
    for (const r of configured)
      if (notYetReaders.includes(r.name))
        readers.push({
          name: r.name,
          role: r.role,
          key: r.key,
          evidence: "missing: not encrypted to them yet ('git-seal rekey')",
        })
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

/** `recipients`: every group and person of the config, with what they read. */
export function recipientListing(cwd: string = process.cwd()): Listing {
  const ctx = SealContext.open(cwd)
  try {
    return listing(ctx.worktreeConfig.get())
  } finally {
    ctx.close()
  }
}

/**
 * `recipients PATH...`: who can read each secret under the paths (relative to `cwd`).
 * @throws {UserError} when a path is outside the repository, or no secret is under them.
 */
export async function whoReads(pathspecs: string[], cwd: string = process.cwd()): Promise<FileReaders[]> {
  const ctx = SealContext.open(cwd)
  try {
    const config = ctx.worktreeConfig.get()
    const report = await collectStatus(ctx, config, repoRelative(ctx.root, pathspecs, cwd))
    if (report.secrets.length === 0)
      throw new UserError(
        `${pathspecs.join(', ')}: not a secret (no rule of ${CONFIG_FILE} matches it)`,
        "'git-seal status' lists every secret",
      )
    return report.secrets.map((s) => fileReaders(config, s))
  } finally {
    ctx.close()
  }
}
