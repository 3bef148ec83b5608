/**
 * `git-seal exec PATH... -- CMD [ARGS...]`: run CMD with the secrets' top-level values in its
 * environment, nothing written to disk; exits as CMD did. See operations/exec.ts.
 */
import { constants } from 'node:os'
import { repoPaths } from '../git/repo.js'
import { runWithEnvironment, secretEnvironment } from '../operations/exec.js'
import { repoPath } from '../operations/show.js'
import { SealContext } from '../seal/context.js'
import { UserError, error, warning } from '../ui.js'

const USAGE = 'usage: git-seal exec PATH... -- COMMAND [ARGS...]'

export async function run(args: string[]): Promise<number> {
  const split = args.indexOf('--')
  if (split < 1 || split === args.length - 1) throw new UserError(USAGE, "name the secret files, then '--', then the command: git-seal exec secrets/app.env -- npm start")
  const [command, ...commandArgs] = args.slice(split + 1)
  const paths = repoPaths()
  if (!paths.top) throw new UserError('git-seal needs a work tree; this repository is bare')
  const ctx = new SealContext(paths, paths.top)
  let environment
  try {
    const files = args.slice(0, split).map((given) => repoPath(ctx.root, process.cwd(), given))
    environment = secretEnvironment(ctx, files)
  } finally {
    // Before the command runs: it may run for days.
    ctx.close()
  }
  const byFile = new Map<string, string[]>()
  for (const { path, key } of environment.skipped) byFile.set(path, [...(byFile.get(path) ?? []), key])
  for (const [path, keys] of byFile) warning(`${path}: not passed to the command, being a map or a list: ${keys.join(', ')}`, 'an environment holds strings only; move those values to the top level')
  const exit = await runWithEnvironment(command!, commandArgs, environment.values, { stdinIsTerminal: process.stdin.isTTY === true })
  environment.values.clear()
  if ('notRun' in exit) {
    error(exit.notRun === 'not-found' ? `${command}: command not found` : `${command}: cannot run it (${exit.message})`)
    return exit.notRun === 'not-found' ? 127 : 126
  }
  if ('signal' in exit) {
    // End the way the command ended, so a shell or supervisor sees the same.
    process.kill(process.pid, exit.signal)
    return 128 + (constants.signals[exit.signal] ?? 0)
  }
  return exit.code
}
