/**
 * argv -> command: the list of commands, `help`, `--version`, usage errors, and the exit
 * status of whatever a command throws (errors.ts): 0 ok, 1 a problem or a failure, 2 usage,
 * 70 a bug.
 */
import { EXIT, UsageError, exitStatusOf } from '../errors.js'
import { printResult, printUsageError, reportError } from '../ui.js'
import { VERSION } from '../version.js'
import { columns, commandHelp, parseCommandLine, type CommandSpec, type OptionSpecs } from './define.js'
import { GROUP_TITLES, commands, findCommand } from './table.js'

/** `git-seal --help`: every command by group, then where to read more. */
export function usage(): string {
  const out = [
    'usage: git-seal <command> [options] [arguments]',
    '       git-seal help <command>',
    '       git-seal --version',
  ]
  const width = Math.max(...commands.map((c) => c.name.length))
  for (const [group, title] of Object.entries(GROUP_TITLES)) {
    out.push(
      '',
      `${title}:`,
      ...columns(
        commands.filter((c) => c.group === group).map((c) => [c.name, c.summary]),
        '  ',
        width,
      ),
    )
  }
  out.push(
    '',
    "run 'git-seal <command> --help' for a command's arguments and options.",
    'exit status: 0 ok, 1 a problem found or a failure, 2 a usage error, 70 a bug in git-seal.',
  )
  return out.join('\n')
}

/** The hint under a usage error of `command` (or of git-seal itself). */
function helpHint(command: CommandSpec<OptionSpecs> | null): string {
  return command ? `run 'git-seal ${command.name} --help'` : "run 'git-seal --help' for the list of commands"
}

/** Edit distance, for "did you mean": only ever run on a mistyped command name. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    previous = current
  }
  return previous[b.length]!
}

function unknownCommand(name: string): UsageError {
  const close = commands
    .map((c) => c.name)
    .filter((c) => distance(name, c) <= 2 || (name.length >= 3 && c.startsWith(name)))
  const hint = [close.length > 0 ? `did you mean ${close.map((c) => `'${c}'`).join(' or ')}?` : null, helpHint(null)]
    .filter(Boolean)
    .join('\n')
  return new UsageError(`unknown command '${name}'`, hint)
}

/** Resolves argv to a command and runs it; throws what the command throws. */
async function dispatch(
  argv: readonly string[],
  current: { command: CommandSpec<OptionSpecs> | null },
): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined) {
    // No command: a usage error, so the list goes to stderr and stdout stays empty for scripts.
    printUsageError(usage())
    return EXIT.usage
  }
  if (name === '-h' || name === '--help') {
    printResult(usage())
    return EXIT.ok
  }
  if (name === '--version' || name === '-V') {
    printResult(VERSION)
    return EXIT.ok
  }
  if (name === 'help') {
    const [topic, ...extra] = rest
    if (topic === undefined || topic === '--help' || topic === '-h' || topic === 'help') {
      printResult(usage())
      return EXIT.ok
    }
    const command = findCommand(topic)
    if (!command) throw unknownCommand(topic)
    if (extra.length > 0)
      throw new UsageError(`unexpected argument '${extra[0]}' after 'help ${topic}'`, "run 'git-seal help <command>'")
    printResult(commandHelp(command))
    return EXIT.ok
  }
  if (name.startsWith('-')) throw new UsageError(`unknown option '${name}'`)
  const command = findCommand(name)
  if (!command) throw unknownCommand(name)
  current.command = command
  const invocation = parseCommandLine(command, rest)
  if (invocation.help) {
    printResult(commandHelp(command))
    return EXIT.ok
  }
  return await command.run(invocation.args)
}

/**
 * Runs git-seal with `argv` (without node and the script) and returns its exit status. Every
 * error ends here: reported on stderr with its hint, and mapped to its exit status.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const current: { command: CommandSpec<OptionSpecs> | null } = { command: null }
  try {
    return await dispatch(argv, current)
  } catch (e) {
    if (e instanceof UsageError && e.hint === undefined)
      reportError(new UsageError(e.message, helpHint(current.command)))
    else reportError(e)
    return exitStatusOf(e)
  }
}
