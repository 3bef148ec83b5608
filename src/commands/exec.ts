/**
 * `git-seal exec PATH... -- CMD [ARGS...]`: run CMD with the secrets' top-level values in its
 * environment, nothing written to disk; exits as CMD did. See operations/exec.ts.
 */
import { constants } from 'node:os'
import { repoPaths } from '../git/repo.js'
import { runWithEnvironment, secretEnvironment } from '../operations/exec.js'
import { repoPath } from '../operations/show.js'
import { SealContext } from '../seal/context.js'
import { error, warning } from '../ui.js'
import { bareRepositoryError } from '../errors.js'

export async function run({ positionals, rest }: { positionals: string[]; rest: string[] }): Promise<number> {
  const [command, ...commandArgs] = rest
  const paths = repoPaths()
  if (!paths.top) throw bareRepositoryError()
  const ctx = new SealContext(paths, paths.top)
  let environment: ReturnType<typeof secretEnvironment>
  try {
    const files = positionals.map((given) => repoPath(ctx.root, process.cwd(), given))
    environment = secretEnvironment(ctx, files)
  } finally {
    // Before the command runs: it may run for days.
    ctx.close()
  }
  const byFile = new Map<string, string[]>()
  for (const { path, key } of environment.skipped) byFile.set(path, [...(byFile.get(path) ?? []), key])
  for (const [path, keys] of byFile)
    warning(
      `${path}: not passed to the command, being a map or a list: ${keys.join(', ')}`,
      'an environment holds strings only; move those values to the top level',
    )
  const exit = await runWithEnvironment(command!, commandArgs, environment.values, {
    stdinIsTerminal: process.stdin.isTTY === true,
  })
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
