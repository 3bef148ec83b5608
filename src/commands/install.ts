/**
 * `git-seal install`: once per clone. Registers the filter (and diff/merge drivers, guard
 * hooks), checks the registered command starts, then decrypts the secrets already checked out.
 * Idempotent. Without an identity it warns and succeeds (it also runs as npm's `prepare`):
 * files stay ciphertext, and it says so.
 */
import { existsSync, realpathSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CONFIG_FILE, attributesUpToDate, loadConfig } from '../config/index.js'
import { installFiles, verifyHandshake, writeConfig } from '../git/install.js'
import { ESCAPE_HATCH_HINT } from '../git/install-table.js'
import { GUARDED_HOOKS, HUSKY_LINE, installHooks, type GuardedHook, type HookResult } from '../git/hooks.js'
import { repoPaths, stateDir } from '../git/repo.js'
import { stateFile } from '../git/state-dir.js'
import { WorktreeReader } from '../git/worktree.js'
import { loadIdentities, type IdentitySet } from '../keys/identities.js'
import { NO_KEY_HINT } from '../seal/context.js'
import { sweepPrivateDirs } from '../seal/private-tmp.js'
import { decryptWorktree, type DecryptOutcome, type KeptReason } from '../seal/worktree-decrypt.js'
import { UserError, info, printHint, warning } from '../ui.js'
import { bareRepositoryError } from '../errors.js'

export interface InstallOptions {
  quiet?: boolean
}

const MAX_NAMED = 20

const HINTS: Record<KeptReason, string> = {
  'no-key': NO_KEY_HINT,
  'not-for-you': "they are encrypted to other recipients ('git-seal recipients' shows who reads what); an admin adds you with 'git-seal add-recipient' and rekeys",
  damaged: "the blob in git is damaged or was tampered with; restore it from another commit ('git log -- PATH')",
  locked: "run 'git-seal unlock' to decrypt",
  filter: "'git-seal status' says why",
}

/**
 * Prints what a decryption really did: the count decrypted, then each file left encrypted
 * (the first {@link MAX_NAMED} named) with why, and one hint per reason.
 */
export function reportDecryption(outcome: DecryptOutcome, say: (message: string) => void): void {
  if (outcome.decrypted.length > 0) say(`decrypted ${outcome.decrypted.length} secret file(s)`)
  // Secrets for other recipients are the usual state of a clone with a target's key (CI, a
  // server): one line, not a warning each with a hint about where keys live.
  const notForYou = outcome.kept.filter((k) => k.reason === 'not-for-you').length
  if (notForYou > 0) {
    say(`${notForYou} secret${notForYou === 1 ? ' is' : 's are'} not encrypted to you; they stay encrypted ('git-seal recipients PATH' says who reads a file)`)
    outcome = { ...outcome, kept: outcome.kept.filter((k) => k.reason !== 'not-for-you') }
  }
  outcome.kept.slice(0, MAX_NAMED).forEach((k) => warning(`${k.path}: left encrypted: ${k.detail}`))
  if (outcome.kept.length > MAX_NAMED) warning(`${outcome.kept.length - MAX_NAMED} more secret file(s) left encrypted`)
  for (const reason of new Set(outcome.kept.map((k) => k.reason))) printHint(HINTS[reason])
  if (outcome.unencrypted.length > 0) {
    warning(`${outcome.unencrypted.length} secret file(s) are stored in git without encryption: ${outcome.unencrypted.slice(0, 5).join(', ')}${outcome.unencrypted.length > 5 ? ', …' : ''}`, "'git add' them and commit to store them encrypted (their history still holds the plaintext: rotate them)")
  }
}

/** Reports hooks that are not ours to edit and do not run the guard. */
function reportHooks(hooks: Record<GuardedHook, HookResult>, say: (message: string) => void): void {
  const named = (result: HookResult): GuardedHook[] => GUARDED_HOOKS.filter((h) => hooks[h] === result)
  const installed = [...named('installed'), ...named('chained')]
  if (installed.length > 0) say(`installed the git-seal guard as the ${installed.join(', ')} hook(s)`)
  const chained = named('chained')
  if (chained.length > 0) say(`your existing ${chained.join(', ')} hook(s) run after the guard`)
  const missing = (result: HookResult, where: string): void => {
    const hooksWithout = named(result)
    if (hooksWithout.length === 0) return
    const subject = hooksWithout.length === 1 ? `its ${hooksWithout[0]} hook does` : `its ${hooksWithout.join(', ')} hooks do`
    warning(`${where}, and ${subject} not run the git-seal guard`, `add this line to each of them (and commit it if it is tracked): ${HUSKY_LINE}`)
  }
  missing('husky-missing', 'husky manages hooks here (.husky/)')
  missing('tracked-missing', 'core.hooksPath keeps hooks in the repository')
  missing('shared-missing', 'core.hooksPath points outside this repository, to hooks other repositories share')
}

export async function install(options: InstallOptions = {}): Promise<IdentitySet> {
  const say = options.quiet ? () => {} : info
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
    throw new UserError(`the installed filter does not start: ${failure}`, `fix the problem above and run 'git-seal install' again; ${ESCAPE_HATCH_HINT}`)
  }
  if (changed.length > 0) say(`registered the filter in ${join(paths.commonDir, 'config')}`)
  reportHooks(installHooks(root), say)

  let config = null
  try {
    config = loadConfig(root)
  } catch (e) {
    // The filter is installed; the config is the repository's to fix, and clean will refuse
    // to encrypt until it is.
    warning(`${CONFIG_FILE} is invalid: ${(e as Error).message}`, `fix ${CONFIG_FILE}; 'git add' of a secret fails until then`)
  }
  if (config === null && !existsSync(join(root, CONFIG_FILE))) {
    warning(`this repository has no ${CONFIG_FILE}: the filter is installed, but no file is a secret yet`, `run 'git-seal init' to write one (or check that you are in the right repository)`)
  }
  if (config) {
    const attributes = new WorktreeReader(root).read('.gitattributes')?.toString('utf8') ?? ''
    if (!attributesUpToDate(attributes, config)) warning(`.gitattributes does not match ${CONFIG_FILE}`, "run 'git-seal sync' and commit .gitattributes")
  }

  const identities = loadIdentities()
  for (const problem of identities.problems) warning(problem)
  const outcome = await decryptWorktree(root, identities, existsSync(stateFile(stateDir(paths), 'locked')))
  if (identities.identities.length === 0 && outcome.kept.length > 0) {
    // One line rather than one per file: the usual state of a fresh clone in CI or npm install.
    warning(`no age identity found; ${outcome.kept.length} secret file(s) stay encrypted`, NO_KEY_HINT)
    outcome.kept = []
  }
  if (outcome.kept.length > 0 && outcome.kept.every((k) => k.reason === 'locked')) {
    say(`this clone is locked: ${outcome.kept.length} secret file(s) stay encrypted; 'git-seal unlock' decrypts them`)
    outcome.kept = []
  }
  reportDecryption(outcome, say)
  return identities
}

export async function run({ values }: { values: { quiet?: boolean } }): Promise<number> {
  await install({ quiet: values.quiet })
  return 0
}
