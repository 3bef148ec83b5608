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
export type { Group, Person, Recipient, SealConfig, SecretRule, SopsOptions, WorktreeMode } from './schema.js'
export { SCAN_MODES, type ScanMode } from './schema.js'
export {
  attributesBlockProblem,
  attributesUpToDate,
  renderAttributesBlock,
  updateAttributes,
  quotePattern,
} from './attributes.js'
export { addRecipient, hasPeople, removeRecipient, setKey, yamlString } from './edit.js'
import { yamlString } from './edit.js'
export { compilePattern, patternProblem } from './match.js'
export { patternToRegex } from './gitattributes-pattern.js'
export { MAX_ATTRIBUTES_BYTES, readRepositoryFile } from './read-file.js'
export { isNeverSecret, NEVER_SECRET_PATTERNS } from './never-secret.js'
export { classifyKey, keyWithoutComment, type KeyKind } from './keys.js'
export {
  describeKey,
  describeRule,
  importSopsConfig,
  readSopsRules,
  type ImportedSecret,
  type OtherKey,
  type SopsImport,
} from './from-sops.js'
export { detectNix, type NixSetup } from './nix.js'
export { loadConfigCached } from './cache.js'

const matchers = new WeakMap<SecretRule, { patterns: PathMatcher[]; excludes: PathMatcher[] }>()

function matchersOf(rule: SecretRule): { patterns: PathMatcher[]; excludes: PathMatcher[] } {
  let m = matchers.get(rule)
  if (!m) {
    m = { patterns: rule.patterns.map(compilePattern), excludes: rule.excludes.map(compilePattern) }
    matchers.set(rule, m)
  }
  return m
}

/** True when one of the rule's patterns matches the path and none of its excludes does. */
export function ruleMatches(rule: SecretRule, path: string): boolean {
  const m = matchersOf(rule)
  return m.patterns.some((p) => p(path)) && !m.excludes.some((p) => p(path))
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

/**
 * Answers of {@link matchingSecrets} per config object: a filter asks for the same path several
 * times per request (its rule, whether it keeps ciphertext, its format), each a pattern match
 * per rule. Bounded: a bulk command's paths are dropped in bulk once there are many.
 */
const matchedPaths = new WeakMap<SealConfig, Map<string, readonly SecretRule[]>>()
const MAX_MATCHED_PATHS = 4096

/** Every secret rule whose patterns match a repo-relative path ('/' separated). */
export function matchingSecrets(config: SealConfig, path: string): SecretRule[] {
  let known = matchedPaths.get(config)
  const hit = known?.get(path)
  if (hit) return [...hit]
  // Files git, sops or git-seal read in plaintext; the attributes block exempts the same ones.
  const rules = isNeverSecret(path) ? [] : config.secrets.filter((rule) => ruleMatches(rule, path))
  if (!known) {
    known = new Map()
    matchedPaths.set(config, known)
  }
  if (known.size >= MAX_MATCHED_PATHS) known.clear()
  known.set(path, rules)
  return [...rules]
}

/**
 * The one secret rule for a path, or null.
 * @throws {ConfigError} when two secrets match it (which recipients would be ambiguous).
 */
export function findSecret(config: SealConfig, path: string): SecretRule | null {
  const rules = matchingSecrets(config, path)
  if (rules.length > 1) {
    throw new ConfigError(
      [
        `${config.source}: ${path} is matched by two secrets: ${rules.map((r) => `${r.name} (group ${r.group})`).join(' and ')}`,
      ],
      config.source,
    )
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

/** What `git-seal init` sets for the starter secret beyond the defaults (a Nix flake's needs). */
export interface StarterOptions {
  /** `worktree: ciphertext` */
  ciphertextWorktree?: boolean
  /** an explicit format: `sops` for sops-nix, `age` for agenix */
  format?: 'sops' | 'age'
  /**
   * starter patterns that match files git already tracks: written commented out, since making
   * them secrets takes steps (their plaintext is in history) that init does not take for you
   */
  trackedPatterns?: string[]
}

/**
 * The `scan:` line a new config starts with: the guard warns about credentials in files no rule
 * covers. (A config without the key does not scan, so older repositories keep their behaviour.)
 */
export const STARTER_SCAN_LINE =
  'scan: warn                  # credentials in files no rule covers: warn | refuse | off'

/**
 * The usual secret files: dotenv files and their variants, private keys, a secrets directory.
 * Not `*.pem`, which matches public CA bundles and certificates as often as private keys.
 */
export const STARTER_PATTERNS = ['.env', '.env.*', '*.key', 'secrets/**'] as const
/** Variants of `.env.*` that are meant to be read by everyone: examples and templates. */
export const STARTER_EXCLUDES = ['.env.example', '.env.sample', '.env.template'] as const

/** A commented starter config for `git-seal init`: the admin declared once in `people:`. */
export function starterConfig(adminName: string, adminKey: string, options: StarterOptions = {}): string {
  const tracked = new Set(options.trackedPatterns ?? [])
  const active = STARTER_PATTERNS.filter((p) => !tracked.has(p))
  const commented = STARTER_PATTERNS.filter((p) => tracked.has(p))
  const extra = [
    ...(options.format
      ? [
          `        format: ${options.format}${options.format === 'sops' ? '      # every file a SOPS file (binary store for non-YAML/JSON/dotenv/INI): what sops-nix reads' : '       # age files, what agenix reads'}`,
        ]
      : []),
    ...(options.ciphertextWorktree
      ? ['        worktree: ciphertext  # the work tree keeps the ciphertext: Nix copies it into the /nix/store']
      : []),
  ]
  const pathLines = [
    active.length > 0
      ? '        path:               # gitattributes patterns'
      : '        path: []            # gitattributes patterns; see the commented ones below',
    ...active.map((p) => `          - ${JSON.stringify(p)}`),
    ...(commented.length > 0
      ? [
          '          # These match files git already tracks in plaintext. To make them secrets: uncomment,',
          "          # run 'git-seal sync', then 'git add --renormalize' those files and commit; then rotate",
          '          # their values, which stay readable in history.',
          ...commented.map((p) => `          # - ${JSON.stringify(p)}`),
        ]
      : []),
  ]
  return `# git-seal: which files are secrets, and who can read them.
# Docs: https://github.com/git-seal/git-seal#configuration
version: 2
${STARTER_SCAN_LINE}
people:                     # everyone who holds a key, declared once
  - name: ${yamlString(adminName)}
    key: ${adminKey}
  # - name: ci              # a server or CI: reads only the secrets that name it
  #   key: age1...
groups:
  default:                  # an environment: dev, staging, prod...
    recipients:
      admins: [${yamlString(adminName)}]   # read every secret of the group
      # targets: [ci]       # servers and CI: read only the secrets that name them
    secrets:
      secrets:
${pathLines.join('\n')}
        exclude:            # matched by the patterns above, but meant to be read by everyone
${STARTER_EXCLUDES.map((p) => `          - ${JSON.stringify(p)}`).join('\n')}
        # targets: [ci]
${options.format ? '' : '        # format: auto      # auto = sops for .yaml/.json/.env/.ini, age otherwise\n'}${extra.map((l) => `${l}\n`).join('')}`
}
