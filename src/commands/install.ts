/**
 * `git-seal install`: once per clone. Registers the filter (and diff/merge drivers, hook),
 * checks the registered command starts, then decrypts the secrets already checked out.
 * Idempotent. Without an identity it warns and succeeds: files stay ciphertext.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { CONFIG_FILE, attributesUpToDate, loadConfig } from '../config/index.js'
import { installFiles, verifyHandshake, writeConfig } from '../git/install.js'
import { HUSKY_LINE, installHook } from '../git/hooks.js'
import { repoPaths } from '../git/repo.js'
import { checkoutAgain, filesHoldingStoredBytes, secretEntries } from '../git/worktree.js'
import { loadIdentities } from '../keys/identities.js'
import { NO_KEY_HINT } from '../seal/context.js'
import { UserError, info, warning } from '../ui.js'

export interface InstallOptions {
  quiet?: boolean
}

export function install(options: InstallOptions = {}): void {
  const say = options.quiet ? () => {} : info
  const paths = repoPaths()
  const root = paths.top
  if (!root) throw new UserError('git-seal needs a work tree; this repository is bare')
  // The entry script node was started with: dist/git-seal.mjs, or an installed copy of it.
  const distDir = dirname(realpathSync(process.argv[1] ?? fileURLToPath(import.meta.url)))
  installFiles(paths, distDir, process.execPath)
  const changed = writeConfig(root)
  const failure = verifyHandshake(root)
  if (failure) {
    throw new UserError(`the installed filter does not start: ${failure}`, "fix the problem above and run 'git-seal install' again; meanwhile 'git -c filter.git-seal.required=false' gets git past it")
  }
  if (changed.length > 0) say(`registered the filter in ${join(paths.commonDir, 'config')}`)
  const hook = installHook(root)
  if (hook === 'installed') say('installed the pre-commit guard')
  if (hook === 'chained') say('installed the pre-commit guard; your existing pre-commit hook runs after it')
  if (hook === 'tracked-missing') warning(`core.hooksPath keeps hooks in the repository, and its pre-commit does not run the git-seal guard`, `add this line to that pre-commit hook and commit it: ${HUSKY_LINE}`)
  if (hook === 'husky-missing') warning('husky manages hooks here, and .husky/pre-commit does not run the git-seal guard', `add this line to .husky/pre-commit and commit it: ${HUSKY_LINE}`)

  let config = null
  try {
    config = loadConfig(root)
  } catch (e) {
    // The filter is installed; the config is the repository's to fix, and clean will refuse
    // to encrypt until it is.
    warning(`${CONFIG_FILE} is invalid: ${(e as Error).message}`, `fix ${CONFIG_FILE}; 'git add' of a secret fails until then`)
  }
  if (config) {
    const attributes = existsSync(join(root, '.gitattributes')) ? readFileSync(join(root, '.gitattributes'), 'utf8') : ''
    if (!attributesUpToDate(attributes, config)) warning(`.gitattributes does not match ${CONFIG_FILE}`, "run 'git-seal sync' and commit .gitattributes")
  }

  const identities = loadIdentities()
  for (const problem of identities.problems) warning(problem)
  const secrets = secretEntries(root)
  if (identities.identities.length === 0) {
    warning(`no age identity found; ${secrets.length} secret file(s) stay encrypted`, NO_KEY_HINT)
    return
  }
  const stale = filesHoldingStoredBytes(root, secrets)
  checkoutAgain(
    root,
    stale.map((e) => e.path),
  )
  if (stale.length > 0) say(`decrypted ${stale.length} secret file(s)`)
}

export function run(args: string[]): number {
  const { values } = parseArgs({ args, options: { quiet: { type: 'boolean', short: 'q' } }, allowPositionals: false })
  install({ quiet: values.quiet })
  return 0
}
