/**
 * How install's setting up is told (install, init): where the filter was registered, the guard
 * hooks, what is wrong with the config or keys here. What the decryption did is decryption.ts's.
 * Shared by those commands; not a command.
 */
import { CONFIG_FILE } from '../../config/index.js'
import { GUARDED_HOOKS, HUSKY_LINE, type GuardedHook, type HookResult } from '../../git/hooks.js'
import type { InstallResult } from '../../operations/setup.js'
import { NO_KEY_HINT } from '../../seal/context.js'
import { warning } from '../../ui.js'

/** Reports the hooks installed, and those that are not ours to edit and do not run the guard. */
function reportHooks(hooks: Record<GuardedHook, HookResult>, say: (message: string) => void): void {
  const named = (result: HookResult): GuardedHook[] => GUARDED_HOOKS.filter((h) => hooks[h] === result)
  const installed = [...named('installed'), ...named('chained')]
  if (installed.length > 0) say(`installed the git-seal guard as the ${installed.join(', ')} hook(s)`)
  const chained = named('chained')
  if (chained.length > 0) say(`your existing ${chained.join(', ')} hook(s) run after the guard`)
  const missing = (result: HookResult, where: string): void => {
    const hooksWithout = named(result)
    if (hooksWithout.length === 0) return
    const subject =
      hooksWithout.length === 1 ? `its ${hooksWithout[0]} hook does` : `its ${hooksWithout.join(', ')} hooks do`
    warning(
      `${where}, and ${subject} not run the git-seal guard`,
      `add this line to each of them (and commit it if it is tracked): ${HUSKY_LINE}`,
    )
  }
  missing('husky-missing', 'husky manages hooks here (.husky/)')
  missing('tracked-missing', 'core.hooksPath keeps hooks in the repository')
  missing('shared-missing', 'core.hooksPath points outside this repository, to hooks other repositories share')
}

/**
 * Prints what install set up and what it found wrong, up to (not including) the decryption
 * report; `say` is for what is no problem (a no-op with --quiet), warnings always show.
 */
export function reportInstall(result: InstallResult, say: (message: string) => void): void {
  if (result.registeredIn !== null) say(`registered the filter in ${result.registeredIn}`)
  reportHooks(result.hooks, say)
  if (result.invalidConfig !== null)
    warning(
      `${CONFIG_FILE} is invalid: ${result.invalidConfig}`,
      `fix ${CONFIG_FILE}; 'git add' of a secret fails until then`,
    )
  if (result.noConfig) {
    warning(
      `this repository has no ${CONFIG_FILE}: the filter is installed, but no file is a secret yet`,
      `run 'git-seal init' to write one (or check that you are in the right repository)`,
    )
  }
  if (result.attributesStale)
    warning(`.gitattributes does not match ${CONFIG_FILE}`, "run 'git-seal sync' and commit .gitattributes")
  for (const problem of result.identities.problems) warning(problem)
  if (result.keptWithoutIdentity > 0)
    warning(`no age identity found; ${result.keptWithoutIdentity} secret file(s) stay encrypted`, NO_KEY_HINT)
  if (result.keptLocked > 0)
    say(`this clone is locked: ${result.keptLocked} secret file(s) stay encrypted; 'git-seal unlock' decrypts them`)
}
