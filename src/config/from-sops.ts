/**
 * `git-seal init --from-sops`: a .gitseal.yaml from an existing .sops.yaml. Each creation rule
 * becomes a secret; its age keys become admins of one group. path_regex is a regular expression
 * and gitattributes patterns are globs, so only regexes of the usual shapes are translated; any
 * other is kept as a comment for the user to translate, and the secret gets a placeholder path.
 */
import { parse } from 'yaml'
import { UserError } from '../ui.js'

interface CreationRule {
  path_regex?: string
  age?: string | string[]
  unencrypted_suffix?: string
  encrypted_suffix?: string
  unencrypted_regex?: string
  encrypted_regex?: string
  unencrypted_comment_regex?: string
  encrypted_comment_regex?: string
  mac_only_encrypted?: boolean
}

/** A glob meaning the same as a simple path regex, or null. */
export function regexToGlob(regex: string): string | null {
  let r = regex
  const anchored = r.startsWith('^')
  if (anchored) r = r.slice(1)
  if (r.endsWith('$')) r = r.slice(0, -1)
  else if (!r.endsWith('.*')) r += '.*'
  let out = ''
  for (let i = 0; i < r.length; i++) {
    const rest = r.slice(i)
    const atComponentStart = out === '' || out.endsWith('/')
    if (rest.startsWith('.*/') && atComponentStart) (out += '**/'), (i += 2)
    else if (rest === '.*' && atComponentStart) (out += '**'), (i += 1)
    else if (rest.startsWith('.*') && atComponentStart) (out += '**/*'), (i += 1)
    else if (rest.startsWith('.*')) return null // crosses '/' inside a name: no glob says that
    else if (rest.startsWith('[^/]*')) (out += '*'), (i += 4)
    else if (rest.startsWith('\\.')) (out += '.'), (i += 1)
    else if (rest.startsWith('\\/')) (out += '/'), (i += 1)
    else if (/[\w/-]/.test(r[i]!)) out += r[i]
    else return null
  }
  out = out.replace(/\*\*\*+/g, '**').replace(/(\*\*\/)+$/, '**')
  if (!anchored && !out.startsWith('**')) out = `**/${out}`
  return out || null
}

export function configFromSops(text: string): string {
  let doc: { creation_rules?: CreationRule[] }
  try {
    doc = parse(text) as { creation_rules?: CreationRule[] }
  } catch (e) {
    throw new UserError(`.sops.yaml does not parse: ${(e as Error).message.split('\n')[0]}`)
  }
  const rules = doc?.creation_rules ?? []
  if (!Array.isArray(rules) || rules.length === 0) throw new UserError('.sops.yaml has no creation_rules')
  const keys: string[] = []
  const lines = ['# Generated from .sops.yaml by `git-seal init --from-sops`; review the names and paths.', 'version: 1', 'groups:', '  default:', '    recipients:', '      admins:']
  const secretLines: string[] = []
  rules.forEach((rule, i) => {
    const ruleKeys = (Array.isArray(rule.age) ? rule.age : (rule.age ?? '').split(',')).map((k) => k.trim()).filter(Boolean)
    if (ruleKeys.length === 0) return
    for (const k of ruleKeys) if (!keys.includes(k)) keys.push(k)
    const glob = rule.path_regex ? regexToGlob(rule.path_regex) : '**'
    secretLines.push(`      rule-${i + 1}:`)
    if (glob) secretLines.push(`        path: ${JSON.stringify(glob)}${rule.path_regex ? `  # from path_regex ${JSON.stringify(rule.path_regex)}` : ''}`)
    else secretLines.push(`        # TODO translate path_regex ${JSON.stringify(rule.path_regex)} to gitattributes patterns`, `        path: "TODO-rule-${i + 1}"`)
    secretLines.push(`        admins: [${ruleKeys.map((k) => `key-${keys.indexOf(k) + 1}`).join(', ')}]`, '        format: sops')
    for (const opt of ['unencrypted_suffix', 'encrypted_suffix', 'unencrypted_regex', 'encrypted_regex', 'unencrypted_comment_regex', 'encrypted_comment_regex'] as const) {
      if (rule[opt]) secretLines.push(`        ${opt}: ${JSON.stringify(rule[opt])}`)
    }
    if (rule.mac_only_encrypted) secretLines.push('        mac_only_encrypted: true')
  })
  if (keys.length === 0) throw new UserError('.sops.yaml names no age recipient', 'git-seal encrypts to age keys; add age recipients to .sops.yaml first')
  keys.forEach((k, i) => lines.push(`        - name: key-${i + 1}`, `          key: ${k}`))
  return [...lines, '    secrets:', ...secretLines, ''].join('\n')
}
