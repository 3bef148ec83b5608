/**
 * `.sops.yaml` generated from .gitseal.yaml (one creation rule per secret: path_regex from its
 * globs, its age recipients), so `sops edit` in the same repository encrypts to the same people.
 * https://github.com/getsops/sops#using-sops-yaml-conf-to-select-kms-pgp-and-age-for-new-files
 *
 * A generated file starts with {@link GENERATED_HEADER}: git-seal rewrites it whenever it edits
 * .gitseal.yaml (add-recipient, remove-recipient) and on rekey, and `status` and the guard flag
 * one that no longer matches (a stale one sends `sops edit` to old recipients). A .sops.yaml
 * without the header was written by hand and is never overwritten without `force`.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { patternToRegex, type SealConfig } from '../config/index.js'
import { SealContext } from '../seal/context.js'
import { sopsRecipient } from '../seal/sops.js'
import { UserError } from '../ui.js'
import { SOPS_RULE_NAMES } from '../formats/sops/rule-names.js'

export function creationRules(config: SealConfig): string {
  const rules = config.secrets.map((s) => ({
    path_regex:
      s.patterns.length === 1 ? patternToRegex(s.patterns[0]!) : `(?:${s.patterns.map(patternToRegex).join('|')})`,
    age: [...new Set(s.recipients.map((r) => sopsRecipient(r.key)))].join(','),
    ...Object.fromEntries(
      Object.entries(SOPS_RULE_NAMES)
        .filter(([, ours]) => s.sops[ours])
        .map(([name, ours]) => [name, s.sops[ours]]),
    ),
  }))
  return GENERATED_HEADER + stringify({ creation_rules: rules }, { lineWidth: 0 })
}

export const SOPS_YAML = '.sops.yaml'
/** The first line of a generated .sops.yaml: what tells it from a hand-written one. */
export const GENERATED_HEADER =
  '# Generated from .gitseal.yaml by `git-seal sops-config`; edit .gitseal.yaml instead.\n'

/** absent; written by hand (no header); generated and matching the config; generated from another config. */
export type SopsConfigState = 'absent' | 'hand-written' | 'current' | 'stale'

/** What a .sops.yaml's text (null: none) is, against a config. */
export function sopsConfigState(text: string | null, config: SealConfig): SopsConfigState {
  if (text === null) return 'absent'
  if (!text.startsWith(GENERATED_HEADER.trimEnd())) return 'hand-written'
  return text === creationRules(config) ? 'current' : 'stale'
}

function readSopsYaml(root: string): string | null {
  try {
    return readFileSync(join(root, SOPS_YAML), 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw e
  }
}

/**
 * Rewrites the work tree's .sops.yaml from `config` when it is a generated one that no longer
 * matches; a hand-written one (or none) is left alone.
 * @returns true when it was rewritten.
 */
export function refreshSopsConfig(root: string, config: SealConfig): boolean {
  if (sopsConfigState(readSopsYaml(root), config) !== 'stale') return false
  writeFileSync(join(root, SOPS_YAML), creationRules(config))
  return true
}

/** The work tree's .sops.yaml against the config, for `status`. */
export function worktreeSopsConfigState(root: string, config: SealConfig): SopsConfigState {
  return sopsConfigState(readSopsYaml(root), config)
}

/** What {@link writeSopsConfig} did. */
export type SopsConfigWrite = 'up-to-date' | 'written'

/**
 * `sops-config`: writes the work tree's .sops.yaml from the config unless it matches already.
 * @throws {UserError} when .sops.yaml was written by hand and `force` is not set, or when there
 *   is no repository or config.
 */
export function writeSopsConfig(force: boolean, cwd: string = process.cwd()): SopsConfigWrite {
  const ctx = SealContext.open(cwd)
  try {
    const config = ctx.worktreeConfig.get()
    const state = sopsConfigState(readSopsYaml(ctx.root), config)
    if (state === 'hand-written' && !force) {
      throw new UserError(
        `${SOPS_YAML} was written by hand (it lacks git-seal's header); not overwritten`,
        `'git-seal sops-config --force' replaces it with one generated from .gitseal.yaml (git keeps the old one in history)`,
      )
    }
    if (state === 'current') return 'up-to-date'
    writeFileSync(join(ctx.root, SOPS_YAML), creationRules(config))
    return 'written'
  } finally {
    ctx.close()
  }
}
