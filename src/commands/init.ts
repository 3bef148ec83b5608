/**
 * `git-seal init`: once per repository. Keeps an existing .gitseal.yaml or writes a starter one
 * with you as admin (generating a key at sops's default path if you have none), or one
 * translated from .sops.yaml (`--from-sops`, operations/migrate-sops.ts), writes the
 * .gitattributes block, then installs in this clone.
 *
 * In a Nix flake (and when importing .sops.yaml, whose users keep sops files encrypted in the
 * work tree), the secrets it sets up are `worktree: ciphertext`: Nix copies the work tree into
 * the world-readable /nix/store. A flake with a `sops-nix` input gets `format: sops` on them (a
 * file that is not YAML/JSON/dotenv/INI becomes sops's binary store, which sops-nix reads with
 * `format = "binary"`); one with `agenix` gets `format: age`. `format: auto` itself never
 * depends on what the repository holds.
 */
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { userInfo } from 'node:os'
import { CONFIG_FILE, STARTER_EXCLUDES, STARTER_PATTERNS, compilePattern, describeKey, detectNix, isNeverSecret, starterConfig, type SopsImport } from '../config/index.js'
import { lsFilesStage } from '../git/plumbing.js'
import { someNames } from './lock.js'
import { repoPaths } from '../git/repo.js'
import { gitMaybe } from '../git/run.js'
import { defaultKeyFile, loadIdentities } from '../keys/identities.js'
import { writeNewKeyFile } from '../keys/keyfile.js'
import { planSopsMigration } from '../operations/migrate-sops.js'
import { info, warning } from '../ui.js'
import { UsageError, UserError, bareRepositoryError } from '../errors.js'
import { addHuskyLine, hooksLocation } from '../git/hooks.js'
import { install } from './install.js'
import { renormalizeCommand, syncAttributes } from './sync.js'

/** A recipient name from the git identity or the login: lowercase letters, digits, '-'. */
function adminName(root: string): string {
  const raw = gitMaybe(['config', 'user.name'], { cwd: root }) || safeUser() || 'admin'
  const name = raw.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '')
  return name || 'admin'
}

function safeUser(): string {
  try {
    return userInfo().username
  } catch {
    return ''
  }
}

/**
 * Tracked files that a starter pattern would make secrets (examples and templates excluded),
 * with the first pattern matching each: their plaintext is already in history.
 */
function trackedStarterMatches(root: string): { path: string; pattern: string }[] {
  const patterns = STARTER_PATTERNS.map((p) => ({ pattern: p, matches: compilePattern(p) }))
  const excludes = STARTER_EXCLUDES.map(compilePattern)
  const out: { path: string; pattern: string }[] = []
  for (const { path } of lsFilesStage(root)) {
    if (isNeverSecret(path) || excludes.some((m) => m(path))) continue
    const hit = patterns.find((p) => p.matches(path))
    if (hit && !out.some((o) => o.path === path)) out.push({ path, pattern: hit.pattern })
  }
  return out
}

/** The one line saying why the secrets keep ciphertext in the work tree. */
const CIPHERTEXT_WHY = {
  flake: 'secrets keep their ciphertext in the work tree (worktree: ciphertext): this is a Nix flake, and Nix copies the work tree into the world-readable /nix/store',
  sops: 'secrets keep their ciphertext in the work tree (worktree: ciphertext), as sops left them: Nix, and any tool copying the work tree, never sees plaintext',
}

function reportImport(migration: SopsImport): void {
  info(`wrote ${CONFIG_FILE} from .sops.yaml:`)
  for (const group of migration.groups) {
    info(`  group ${group.name}: admins ${group.admins.join(', ')}${group.targets.length ? `; targets ${group.targets.join(', ')}` : ''}`)
    for (const secret of migration.secrets.filter((s) => s.group === group.name)) {
      info(`    secret ${secret.name} (rule ${secret.rules.join(' and ')}): ${secret.patterns.join(' ')} -> ${[...secret.admins, ...secret.targets].join(', ')}`)
    }
  }
  for (const note of migration.notes) info(note)
  for (const { rule, secret, keys } of migration.dropped) {
    warning(
      `rule ${rule} (secret ${secret}): ${keys.map(describeKey).join(', ')} lose access: git-seal encrypts to age keys only, so files it creates are not encrypted to them, and the files sops wrote stop opening for them at their next re-encryption with a new data key`,
      'replace them with age keys (ssh-to-age turns a host SSH key into one) and add those with git-seal add-recipient',
    )
  }
}

export async function run({ values }: { values: { 'from-sops'?: boolean; 'drop-non-age'?: boolean } }): Promise<number> {
  if (values['drop-non-age'] && !values['from-sops']) throw new UsageError('--drop-non-age goes with --from-sops')
  const root = repoPaths().top
  if (!root) throw bareRepositoryError()
  const configFile = join(root, CONFIG_FILE)
  if (existsSync(configFile) && values['from-sops']) {
    // Importing is a decision about who reads what: never silently skipped for the file already there.
    throw new UserError(`${CONFIG_FILE} already exists, so --from-sops would not import .sops.yaml`, `to import, move ${CONFIG_FILE} away first (git mv ${CONFIG_FILE} ${CONFIG_FILE}.old) and run 'git-seal init --from-sops' again; to keep it, run 'git-seal init'`)
  }
  const wroteConfig = !existsSync(configFile)
  if (!wroteConfig) {
    info(`keeping the existing ${CONFIG_FILE}`)
  } else if (values['from-sops']) {
    const migration = await planSopsMigration(root, { dropNonAge: values['drop-non-age'] === true, ciphertextWorktree: true })
    writeFileSync(configFile, migration.config)
    reportImport(migration)
    info(CIPHERTEXT_WHY.sops)
    info(".sops.yaml stays as you wrote it; 'git-seal sops-config --force' replaces it with one generated from .gitseal.yaml, kept in step from then on")
  } else {
    const identities = loadIdentities()
    let recipient = identities.recipients[0]
    if (!recipient) {
      const file = defaultKeyFile()
      const key = writeNewKeyFile(file)
      recipient = key.recipient
      warning(`you had no age key: generated one at ${file} (mode 0600)`, 'back this file up now (a password manager will do): without it nobody can decrypt what is encrypted only to you')
    }
    const nix = detectNix(root)
    const format = nix.sopsNix ? 'sops' : nix.agenix ? 'age' : undefined
    const tracked = trackedStarterMatches(root)
    const trackedPatterns = [...new Set(tracked.map((t) => t.pattern))]
    writeFileSync(configFile, starterConfig(adminName(root), recipient, { ciphertextWorktree: nix.flake, ...(nix.flake && format ? { format } : {}), trackedPatterns }))
    info(`wrote ${CONFIG_FILE} with you as admin (${recipient})`)
    if (tracked.length > 0) {
      const files = tracked.map((t) => t.path)
      warning(
        `git already tracks ${files.length} file(s) the starter patterns match, in plaintext: ${someNames(files)}; their patterns (${trackedPatterns.join(', ')}) are commented out in ${CONFIG_FILE}`,
        `to make them secrets: uncomment the patterns, run 'git-seal sync', then '${renormalizeCommand(files)}' and commit; rotate their values (history keeps the old ones)`,
      )
    }
    if (nix.flake) info(CIPHERTEXT_WHY.flake + (format === 'sops' ? '; format: sops, as sops-nix reads' : format === 'age' ? '; format: age, as agenix reads' : ''))
  }
  if (syncAttributes(root)) info('wrote the git-seal block in .gitattributes')
  const hooks = hooksLocation(root)
  const trackedHooks = hooks.husky ?? (hooks.tracked ? hooks.dir : null)
  const guarded = trackedHooks ? addHuskyLine(trackedHooks) : []
  if (guarded.length > 0) info(`added the git-seal guard to ${guarded.join(', ')}; commit them`)
  await install()
  if (wroteConfig) info(`next: edit ${CONFIG_FILE}, then 'git add ${CONFIG_FILE} .gitattributes' and commit`)
  return 0
}
