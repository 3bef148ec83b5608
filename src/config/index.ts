/**
 * .gitseal.yaml: the single source of truth of who reads which secret files.
 * The only public entry of src/config/.
 */
import { join } from 'node:path'
import { readRepositoryFile } from './read-file.js'
import { compilePattern, type PathMatcher } from './match.js'
import { isNeverSecret } from './never-secret.js'
import { CONFIG_FILE, ConfigError, MAX_CONFIG_BYTES, parseConfig, type SealConfig, type SecretRule } from './schema.js'

export { CONFIG_FILE, ConfigError, MAX_CONFIG_BYTES, parseConfig } from './schema.js'
export type { Group, Recipient, SealConfig, SecretRule, SopsOptions } from './schema.js'
export { attributesBlockProblem, attributesUpToDate, renderAttributesBlock, updateAttributes, quotePattern } from './attributes.js'
export { addRecipient, removeRecipient } from './edit.js'
export { compilePattern, patternProblem } from './match.js'
export { MAX_ATTRIBUTES_BYTES, readRepositoryFile } from './read-file.js'
export { isNeverSecret, NEVER_SECRET_PATTERNS } from './never-secret.js'
export { classifyKey, type KeyKind } from './keys.js'
export { configFromSops, regexToGlob } from './from-sops.js'
export { loadConfigCached } from './cache.js'

const matchers = new WeakMap<SecretRule, PathMatcher[]>()

function matchersOf(rule: SecretRule): PathMatcher[] {
  let m = matchers.get(rule)
  if (!m) {
    m = rule.patterns.map(compilePattern)
    matchers.set(rule, m)
  }
  return m
}

/**
 * Reads `<root>/.gitseal.yaml`.
 * @returns null when there is none.
 * @throws {ConfigError} when it is invalid.
 */
export function loadConfig(root: string): SealConfig | null {
  const text = readRepositoryFile(join(root, CONFIG_FILE), CONFIG_FILE, MAX_CONFIG_BYTES)
  return text === null ? null : parseConfig(text, CONFIG_FILE)
}


/** Every secret rule whose patterns match a repo-relative path ('/' separated). */
export function matchingSecrets(config: SealConfig, path: string): SecretRule[] {
  // Files git, sops or git-seal read in plaintext; the attributes block exempts the same ones.
  if (isNeverSecret(path)) return []
  return config.secrets.filter((rule) => matchersOf(rule).some((m) => m(path)))
}

/**
 * The one secret rule for a path, or null.
 * @throws {ConfigError} when two secrets match it (which recipients would be ambiguous).
 */
export function findSecret(config: SealConfig, path: string): SecretRule | null {
  const rules = matchingSecrets(config, path)
  if (rules.length > 1) {
    throw new ConfigError([`${config.source}: ${path} is matched by two secrets: ${rules.map((r) => `${r.name} (group ${r.group})`).join(' and ')}`], config.source)
  }
  return rules[0] ?? null
}

const SOPS_SUFFIXES = ['.yaml', '.yml', '.json', '.env', '.ini']

/** `auto` means sops for YAML, JSON, dotenv and INI files, age for everything else. */
export function effectiveFormat(rule: SecretRule, path: string): 'age' | 'sops' {
  if (rule.format !== 'auto') return rule.format
  // Case-sensitive, like sops's own choice of store.
  return SOPS_SUFFIXES.some((s) => path.endsWith(s)) ? 'sops' : 'age'
}

/** A commented starter config for `git-seal init`. */
export function starterConfig(adminName: string, adminKey: string): string {
  return `# git-seal: which files are secrets, and who can read them.
# Docs: https://github.com/git-seal/git-seal#configuration
version: 1
groups:
  default:                  # an environment: dev, staging, prod...
    recipients:
      admins:               # read every secret of the group
        - name: ${adminName}
          key: ${adminKey}
      # targets:            # servers and CI: read only the secrets that name them
      #   - name: ci
      #     key: age1...
    secrets:
      secrets:
        path:               # gitattributes patterns
          - "secrets/**"
          - "*.secret"
        # targets: [ci]
        # format: auto      # auto = sops for .yaml/.json/.env/.ini, age otherwise
`
}
