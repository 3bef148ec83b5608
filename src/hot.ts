/**
 * The entry git starts for every command that touches a secret (dist/hot.mjs; the launcher picks
 * it for these commands): the long-running filter and the one-shot clean and smudge (textconv
 * has an entry of its own, src/textconv.ts). Built on its own (scripts/build.mjs) so that everything they load at start
 * is one file: each extra module file costs the ESM loader a resolve, a read and a link, and the
 * full CLI's chunks are shared with twenty other commands. What they load on demand (hybrid
 * keys, scrypt, yaml…) stays in chunks of its own.
 *
 * Same exit statuses and messages as cli.ts.
 */
import * as filterProcess from './commands/filter-process.js'
import * as clean from './commands/clean.js'
import * as smudge from './commands/smudge.js'
import { exitStatusOf } from './errors.js'
import { error, printHint, reportError } from './ui.js'

type CommandModule = { run(args: string[]): Promise<number> | number }

const HOT: Record<string, CommandModule> = { 'filter-process': filterProcess, clean, smudge }

async function main([name, ...rest]: string[]): Promise<number> {
  const command = name === undefined ? undefined : HOT[name]
  if (!command) {
    error(`unknown command '${name ?? ''}' for this entry`)
    printHint("run 'git-seal --help' for the list of commands")
    return 2
  }
  return await command.run(rest)
}

// Exit as soon as the work is done, rather than when the event loop drains: git waits for the
// filter to exit before it does, and draining means waiting for the check-attr and cat-file
// children to see their stdin close and exit (~2-3 ms per command, issue 16). Everything this
// entry writes is written synchronously (ui.ts, the pkt-line writer), and exit handlers (the
// code cache, private temp directories) still run.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    reportError(e)
    process.exit(exitStatusOf(e))
  },
)
