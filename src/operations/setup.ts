/**
 * Setting git-seal up and taking it down: `init` (once per repository), `install` (once per
 * clone) and `uninstall`.
 *
 * install registers the filter (and diff/merge drivers, guard hooks), checks the registered
 * command starts, then decrypts the secrets already checked out. Idempotent. Without an
 * identity it succeeds (it also runs as npm's `prepare`): files stay ciphertext, and its
 * result says so.
 *
 * init keeps an existing .gitseal.yaml or writes a starter one with you as admin (generating a
 * key at sops's default path if you have none), or one translated from .sops.yaml (`fromSops`,
 * operations/migrate-sops.ts), writes the .gitattributes block, then installs in this clone.
 * In a Nix flake (and when importing .sops.yaml, whose users keep sops files encrypted in the
 * work tree), the secrets it sets up are `worktree: ciphertext`: Nix copies the work tree into
 * the world-readable /nix/store. A flake with a `sops-nix` input gets `format: sops` on them (a
 * file that is not YAML/JSON/dotenv/INI becomes sops's binary store, which sops-nix reads with
 * `format = "binary"`); one with `agenix` gets `format: age`. `format: auto` itself never
 * depends on what the repository holds.
 *
 * uninstall puts ciphertext back in the work tree, then removes exactly what install added
 * (config rows, guard hooks, launcher, bundle, state). Without the filter, git stores work-tree
 * files as they are: a decrypted secret left behind would go into history in plaintext with the
 * next `git add`, `commit -a` or `git stash`. So every secret is checked out again as ciphertext
 * first, the way `lock` does it, and a secret with changes git does not have yet (edited, or
 * never added) stops the uninstall: putting ciphertext back would lose them. `keepPlaintext`
 * leaves the work tree as it is.
 */
import { existsSync, realpathSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { userInfo } from 'node:os'
import { fileURLToPath } from 'node:url'
import {
  CONFIG_FILE,
  STARTER_EXCLUDES,
  STARTER_PATTERNS,
  attributesUpToDate,
  compilePattern,
  describeKey,
  detectNix,
  isNeverSecret,
  loadConfigCached,
  starterConfig,
  type SopsImport,
} from '../config/index.js'
import {
  installFiles,
  removeConfig,
  removeFiles,
  runningFilterConfig,
  verifyHandshake,
  writeConfig,
} from '../git/install.js'
import { ESCAPE_HATCH_HINT } from '../git/install-table.js'
import {
  addHuskyLine,
  hooksLocation,
  installHooks,
  removeHooks,
  type GuardedHook,
  type HookResult,
} from '../git/hooks.js'
import { configValue, lsFilesStage } from '../git/plumbing.js'
import { repoPaths, stateDir } from '../git/repo.js'
import { stateFile } from '../git/state-dir.js'
import {
  WorktreeReader,
  checkoutAgain,
  filesHoldingStoredBytes,
  secretEntries,
  uncommittedSecrets,
} from '../git/worktree.js'
import { defaultKeyFile, loadIdentities, type IdentitySet } from '../keys/identities.js'
import { writeNewKeyFile } from '../keys/keyfile.js'
import { PlaintextMacs } from '../seal/plaintext-macs.js'
import { sweepPrivateDirs } from '../seal/private-tmp.js'
import { decryptWorktree, type DecryptOutcome } from '../seal/worktree-decrypt.js'
import { UserError, info, renormalizeCommand, someNames, warning } from '../ui.js'
import { bareRepositoryError } from '../errors.js'
import { planSopsMigration } from './migrate-sops.js'
import { syncAttributes } from './sync.js'

/** What {@link install} did and found, in the order it is told. */
export interface InstallResult {
  /** the git config file the filter was registered in; null when it was registered already */
  registeredIn: string | null
  hooks: Record<GuardedHook, HookResult>
  /** why .gitseal.yaml is invalid; null when it is valid or absent */
  invalidConfig: string | null
  /** true when the repository has no .gitseal.yaml */
  noConfig: boolean
  /** true when .gitattributes does not match a valid config */
  attributesStale: boolean
  identities: IdentitySet
  /** secret files left encrypted because no identity was found at all (not in `decryption.kept`) */
  keptWithoutIdentity: number
  /** secret files left encrypted because the clone is locked, when that is all that was kept (not in `decryption.kept`) */
  keptLocked: number
  decryption: DecryptOutcome
}

/**
 * `install`: registers the filter in this clone, checks it starts, installs the guard hooks,
 * then decrypts the secrets checked out.
 * @throws {UserError} when the repository is bare or the installed filter does not start.
 */
export async function install(): Promise<InstallResult> {
  const paths = repoPaths()
  const root = paths.top
  if (!root) throw bareRepositoryError()
  // The entry script node was started with: dist/git-seal.mjs, or an installed copy of it.
  const distDir = dirname(realpathSync(process.argv[1] ?? fileURLToPath(import.meta.url)))
  installFiles(paths, distDir, process.execPath)
  sweepPrivateDirs(stateDir(paths))
  const changed = writeConfig(root)
  const failure = verifyHandshake(root)
  if (failure) {
    throw new UserError(
      `the installed filter does not start: ${failure}`,
      `fix the problem above and run 'git-seal install' again; ${ESCAPE_HATCH_HINT}`,
    )
  }
  const registeredIn = changed.length > 0 ? join(paths.commonDir, 'config') : null
  const hooks = installHooks(root)

  let config = null
  let invalidConfig: string | null = null
  try {
    // Through the filter's config cache (src/config/cache.ts), so that the first filter start
    // after install (a fresh clone's first checkout or add) finds it parsed: 10-15 ms less.
    config = loadConfigCached(root, stateDir(paths))
  } catch (e) {
    // The filter is installed; the config is the repository's to fix, and clean will refuse
    // to encrypt until it is.
    invalidConfig = (e as Error).message
  }
  const noConfig = config === null && !existsSync(join(root, CONFIG_FILE))
  let attributesStale = false
  if (config) {
    const attributes = new WorktreeReader(root).read('.gitattributes')?.toString('utf8') ?? ''
    attributesStale = !attributesUpToDate(attributes, config)
  }

  const identities = loadIdentities()
  const outcome = await decryptWorktree(root, identities, existsSync(stateFile(stateDir(paths), 'locked')))
  let keptWithoutIdentity = 0
  let keptLocked = 0
  if (identities.identities.length === 0 && outcome.kept.length > 0) {
    // One line rather than one per file: the usual state of a fresh clone in CI or npm install.
    keptWithoutIdentity = outcome.kept.length
    outcome.kept = []
  }
  if (outcome.kept.length > 0 && outcome.kept.every((k) => k.reason === 'locked')) {
    keptLocked = outcome.kept.length
    outcome.kept = []
  }
  return {
    registeredIn,
    hooks,
    invalidConfig,
    noConfig,
    attributesStale,
    identities,
    keptWithoutIdentity,
    keptLocked,
    decryption: outcome,
  }
}

/** A recipient name from the git identity or the login: lowercase letters, digits, '-'. */
function adminName(root: string): string {
  const raw = configValue(root, 'user.name') || safeUser() || 'admin'
  const name = raw
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
  return name || 'admin'
}

function safeUser(): string {
  try {
    return userInfo().username
  } catch {
    // No passwd entry for this uid (a container): the name falls back to 'admin'.
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
  flake:
    'secrets keep their ciphertext in the work tree (worktree: ciphertext): this is a Nix flake, and Nix copies the work tree into the world-readable /nix/store',
  sops: 'secrets keep their ciphertext in the work tree (worktree: ciphertext), as sops left them: Nix, and any tool copying the work tree, never sees plaintext',
}

function reportImport(migration: SopsImport): void {
  info(`wrote ${CONFIG_FILE} from .sops.yaml:`)
  for (const group of migration.groups) {
    info(
      `  group ${group.name}: admins ${group.admins.join(', ')}${group.targets.length ? `; targets ${group.targets.join(', ')}` : ''}`,
    )
    for (const secret of migration.secrets.filter((s) => s.group === group.name)) {
      info(
        `    secret ${secret.name} (rule ${secret.rules.join(' and ')}): ${secret.patterns.join(' ')} -> ${[...secret.admins, ...secret.targets].join(', ')}`,
      )
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

export interface InitOptions {
  /** translate .sops.yaml's creation_rules into .gitseal.yaml */
  fromSops?: boolean
  /** with `fromSops`: leave out keys other than age */
  dropNonAge?: boolean
}

/** What {@link init} leaves to report. */
export interface InitResult {
  /** false when an existing .gitseal.yaml was kept */
  wroteConfig: boolean
  install: InstallResult
}

/**
 * `init`: the config (kept, starter or imported from .sops.yaml), the .gitattributes block and
 * the guard line in tracked hooks, then {@link install}. Says what it wrote as it goes.
 * @throws {UserError} when the repository is bare, when `fromSops` meets an existing config,
 *   and from {@link install}.
 */
export async function init(options: InitOptions = {}): Promise<InitResult> {
  const root = repoPaths().top
  if (!root) throw bareRepositoryError()
  const configFile = join(root, CONFIG_FILE)
  if (existsSync(configFile) && options.fromSops) {
    // Importing is a decision about who reads what: never silently skipped for the file already there.
    throw new UserError(
      `${CONFIG_FILE} already exists, so --from-sops would not import .sops.yaml`,
      `to import, move ${CONFIG_FILE} away first (git mv ${CONFIG_FILE} ${CONFIG_FILE}.old) and run 'git-seal init --from-sops' again; to keep it, run 'git-seal init'`,
    )
  }
  const wroteConfig = !existsSync(configFile)
  if (!wroteConfig) {
    info(`keeping the existing ${CONFIG_FILE}`)
  } else if (options.fromSops) {
    const migration = await planSopsMigration(root, {
      dropNonAge: options.dropNonAge === true,
      ciphertextWorktree: true,
    })
    writeFileSync(configFile, migration.config)
    reportImport(migration)
    info(CIPHERTEXT_WHY.sops)
    info(
      ".sops.yaml stays as you wrote it; 'git-seal sops-config --force' replaces it with one generated from .gitseal.yaml, kept in step from then on",
    )
  } else {
    const identities = loadIdentities()
    let recipient = identities.recipients[0]
    if (!recipient) {
      const file = defaultKeyFile()
      const key = writeNewKeyFile(file)
      recipient = key.recipient
      warning(
        `you had no age key: generated one at ${file} (mode 0600)`,
        'back this file up now (a password manager will do): without it nobody can decrypt what is encrypted only to you',
      )
    }
    const nix = detectNix(root)
    const format = nix.sopsNix ? 'sops' : nix.agenix ? 'age' : undefined
    const tracked = trackedStarterMatches(root)
    const trackedPatterns = [...new Set(tracked.map((t) => t.pattern))]
    writeFileSync(
      configFile,
      starterConfig(adminName(root), recipient, {
        ciphertextWorktree: nix.flake,
        ...(nix.flake && format ? { format } : {}),
        trackedPatterns,
      }),
    )
    info(`wrote ${CONFIG_FILE} with you as admin (${recipient})`)
    if (tracked.length > 0) {
      const files = tracked.map((t) => t.path)
      warning(
        `git already tracks ${files.length} file(s) the starter patterns match, in plaintext: ${someNames(files)}; their patterns (${trackedPatterns.join(', ')}) are commented out in ${CONFIG_FILE}`,
        `to make them secrets: uncomment the patterns, run 'git-seal sync', then '${renormalizeCommand(files)}' and commit; rotate their values (history keeps the old ones)`,
      )
    }
    if (nix.flake)
      info(
        CIPHERTEXT_WHY.flake +
          (format === 'sops'
            ? '; format: sops, as sops-nix reads'
            : format === 'age'
              ? '; format: age, as agenix reads'
              : ''),
      )
  }
  if (syncAttributes(root)) info('wrote the git-seal block in .gitattributes')
  const hooks = hooksLocation(root)
  const trackedHooks = hooks.husky ?? (hooks.tracked ? hooks.dir : null)
  const guarded = trackedHooks ? addHuskyLine(trackedHooks) : []
  if (guarded.length > 0) info(`added the git-seal guard to ${guarded.join(', ')}; commit them`)
  return { wroteConfig, install: await install() }
}

export interface UninstallOptions {
  /** leave decrypted files in the work tree */
  keepPlaintext?: boolean
}

/** What {@link uninstall} did: how many secret files hold ciphertext now (0 with `keepPlaintext`). */
export interface UninstallResult {
  keptPlaintext: boolean
  encrypted: number
}

/**
 * `uninstall`: ciphertext back in the work tree (unless `keepPlaintext`), then what install added removed.
 * @throws {UserError} when the repository is bare, or a secret has changes git does not have yet.
 */
export function uninstall(options: UninstallOptions = {}): UninstallResult {
  const paths = repoPaths()
  const top = paths.top
  if (!top) throw bareRepositoryError()
  const state = stateDir(paths, true)
  sweepPrivateDirs(state)
  const secrets = secretEntries(top)
  let encrypted = 0
  if (!options.keepPlaintext) {
    // This build's own filter, whatever state the installed copy is in (deleted, outdated).
    const config = runningFilterConfig()
    const { changed, untracked } = uncommittedSecrets(top, { config })
    const pending = [...changed, ...untracked]
    if (pending.length > 0) {
      throw new UserError(
        `${pending.length} secret file(s) have changes git does not have yet: ${someNames(pending)}`,
        "commit or stash them first ('git stash -u' for new files), or 'git-seal uninstall --keep-plaintext' to leave decrypted files in the work tree",
      )
    }
    // Locked: the filter keeps ciphertext on checkout even with a key at hand.
    writeFileSync(stateFile(state, 'locked'), 'locked by git-seal uninstall\n')
    PlaintextMacs.erase(state)
    checkoutAgain(
      top,
      secrets.map((s) => s.path),
      { config },
    )
    encrypted = filesHoldingStoredBytes(top, secrets, new WorktreeReader(top)).length
    if (encrypted < secrets.length) {
      const left = secrets.length - encrypted
      warning(
        `${left} secret path(s) could not be put back as ciphertext (symbolic links, or under one); check them before any 'git add'`,
      )
    }
  }
  removeConfig(top)
  removeHooks(top)
  removeFiles(paths)
  return { keptPlaintext: options.keepPlaintext === true, encrypted }
}
