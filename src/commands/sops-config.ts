/**
 * `git-seal sops-config`: writes `.sops.yaml` creation_rules generated from .gitseal.yaml (one
 * rule per secret: path_regex from its globs, its age recipients), so `sops edit` in the same
 * repository encrypts to the same people. https://github.com/getsops/sops#using-sops-yaml-conf-to-select-kms-pgp-and-age-for-new-files
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { type SealConfig } from '../config/index.js'
import { SealContext } from '../seal/context.js'
import { sopsRecipient } from '../seal/sops.js'
import { UserError, info } from '../ui.js'

/** A gitattributes pattern as an (RE2-compatible) regex over repo-relative paths. */
export function globToRegex(pattern: string): string {
  let p = pattern.replace(/\/$/, '')
  const anchored = p.includes('/')
  p = p.replace(/^\//, '')
  let out = ''
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!
    if (c === '*' && p[i + 1] === '*') {
      const atStart = i === 0 || p[i - 1] === '/'
      const atEnd = i + 2 === p.length || p[i + 2] === '/'
      if (atStart && atEnd) {
        if (i + 2 === p.length) out += '.*'
        else {
          out += '(?:.*/)?'
          i++ // the slash is part of the group
        }
        i++
        continue
      }
      out += '[^/]*'
      i++
    } else if (c === '*') out += '[^/]*'
    else if (c === '?') out += '[^/]'
    else if (c === '[') {
      const end = p.indexOf(']', i + 2)
      if (end < 0) out += '\\['
      else {
        let cls = p.slice(i + 1, end)
        if (cls.startsWith('!')) cls = '^' + cls.slice(1)
        out += `[${cls.replace(/\\/g, '\\\\')}]`
        i = end
      }
    } else if (c === '\\' && i + 1 < p.length) {
      out += p[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
    } else out += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  }
  return `${anchored ? '^' : '(?:^|/)'}${out}$`
}

export function creationRules(config: SealConfig): string {
  const rules = config.secrets.map((s) => ({
    path_regex: s.patterns.length === 1 ? globToRegex(s.patterns[0]!) : `(?:${s.patterns.map(globToRegex).join('|')})`,
    age: [...new Set(s.recipients.map((r) => sopsRecipient(r.key)))].join(','),
    ...(s.sops.unencryptedSuffix ? { unencrypted_suffix: s.sops.unencryptedSuffix } : {}),
    ...(s.sops.encryptedSuffix ? { encrypted_suffix: s.sops.encryptedSuffix } : {}),
    ...(s.sops.unencryptedRegex ? { unencrypted_regex: s.sops.unencryptedRegex } : {}),
    ...(s.sops.encryptedRegex ? { encrypted_regex: s.sops.encryptedRegex } : {}),
    ...(s.sops.unencryptedCommentRegex ? { unencrypted_comment_regex: s.sops.unencryptedCommentRegex } : {}),
    ...(s.sops.encryptedCommentRegex ? { encrypted_comment_regex: s.sops.encryptedCommentRegex } : {}),
    ...(s.sops.macOnlyEncrypted ? { mac_only_encrypted: true } : {}),
  }))
  return '# Generated from .gitseal.yaml by `git-seal sops-config`; edit .gitseal.yaml instead.\n' + stringify({ creation_rules: rules }, { lineWidth: 0 })
}

export function run(args: string[]): number {
  if (args.length > 0) throw new UserError('usage: git-seal sops-config')
  const ctx = SealContext.open()
  try {
    writeFileSync(join(ctx.root, '.sops.yaml'), creationRules(ctx.config()))
    info('wrote .sops.yaml; commit it so `sops edit` encrypts to the same recipients')
    return 0
  } finally {
    ctx.close()
  }
}
