/**
 * The command model: each command declares its name, summary, arguments and options (with
 * help text) and a lazy `run`; parsing, usage errors and help are generated from that. A small
 * layer over node:util's parseArgs rather than a library: it is loaded by every git-seal start,
 * including the filter git starts per command and textconv, which git starts per file side of
 * a diff, so it must cost nothing to load (citty would add a module and its own parser).
 */
import { parseArgs } from 'node:util'
import { UsageError } from '../errors.js'

/** One option. Booleans are flags; strings take a value (`--rev REV`, `--rev=REV`, `-r REV`). */
export interface OptionSpec {
  type: 'boolean' | 'string'
  /** one letter: `-o` for `--output` */
  short?: string
  /** the value's placeholder in help text: `FILE`, `REV` */
  value?: string
  /** the values a string option accepts (its help names them); anything else is a usage error */
  choices?: readonly string[]
  help: string
}

/** One positional argument. */
export interface ArgumentSpec {
  /** as shown: `PATH`, `NAME|KEY` */
  name: string
  help: string
  /** may be left out */
  optional?: boolean
  /** takes every remaining argument (one or more; none when also optional); only the last may */
  variadic?: boolean
}

export type OptionSpecs = Record<string, OptionSpec>

/** Parsed option values, typed after the declaration: flags are booleans, others strings. */
export type OptionValues<O extends OptionSpecs> = { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string }

/** What a command's run receives. */
export interface ParsedArgs<O extends OptionSpecs> {
  values: OptionValues<O>
  positionals: string[]
  /** after `--`, for a command that declares `passthrough` (exec's COMMAND [ARGS...]) */
  rest: string[]
}

/** Where a command appears in the list of commands. */
export type CommandGroup = 'setup' | 'secrets' | 'recipients' | 'checks' | 'keys' | 'git'

export interface CommandSpec<O extends OptionSpecs = OptionSpecs> {
  name: string
  group: CommandGroup
  /** one line, lowercase, no final period: shown in the list of commands and atop its help */
  summary: string
  /** paragraphs shown in its help under the usage line */
  description?: string
  arguments?: readonly ArgumentSpec[]
  options?: O
  /**
   * The synopsis, when the generated one cannot say it (options that are required or exclude
   * each other). Without the leading `git-seal NAME `.
   */
  synopsis?: string
  /** `--` then a command line, handed to run as `rest`; required when declared */
  passthrough?: { name: string; help: string }
  /**
   * Arguments come from git (paths, temporary files) and are never read as options: a file may
   * be named `-x`. Only `-h` or `--help` as the one argument asks for help.
   */
  literal?: boolean
  /** Loads the command's module and runs it; the exit status. */
  run(args: ParsedArgs<O>): Promise<number> | number
}

/** Declares a command; the identity function, there for the types. */
export function defineCommand<O extends OptionSpecs>(spec: CommandSpec<O>): CommandSpec<O> {
  return spec
}

/** What the command line asked for: help, or a run with these arguments. */
export type Invocation<O extends OptionSpecs> = { help: true } | { help: false; args: ParsedArgs<O> }

const HELP_FLAGS = new Set(['-h', '--help'])

/**
 * Reads `argv` (what follows the command's name) against the declaration.
 * @throws {UsageError} for an unknown option, an option without its value (or a flag given
 *   one), a value outside `choices`, missing or extra arguments, or a missing `--` command.
 */
export function parseCommandLine<O extends OptionSpecs>(spec: CommandSpec<O>, argv: readonly string[]): Invocation<O> {
  if (spec.literal) {
    if (argv.length === 1 && HELP_FLAGS.has(argv[0]!)) return { help: true }
    const positionals = [...argv]
    checkPositionals(spec, positionals)
    return { help: false, args: { values: {} as OptionValues<O>, positionals, rest: [] } }
  }
  const declared: OptionSpecs = spec.options ?? {}
  // strict: false, so that every problem is worded here (parseArgs's messages are sentences with
  // capitals and advice of their own); tokens say where each value came from.
  const { tokens } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: false,
    tokens: true,
    options: Object.fromEntries(
      Object.entries(declared).map(([name, o]) => [name, { type: o.type, ...(o.short ? { short: o.short } : {}) }]),
    ),
  })
  const values: Record<string, string | boolean> = {}
  const positionals: string[] = []
  let terminator: number | null = null
  let problem: UsageError | null = null
  for (const token of tokens) {
    if (token.kind === 'option-terminator') {
      terminator = token.index
      break
    }
    if (token.kind === 'positional') {
      positionals.push(token.value)
      continue
    }
    const isHelp = token.rawName === '--help' || token.rawName === '-h'
    if (isHelp && token.value === undefined) return { help: true }
    // Every other option is checked, but help anywhere wins: the first problem is kept.
    if (problem) continue
    const option = isHelp ? undefined : declared[token.name]
    // A value taken from the next argument that looks like an option is that option, forgotten value.
    const valueLooksLikeOption = token.inlineValue === false && token.value?.startsWith('-') === true
    if (isHelp) {
      problem = new UsageError(`option '${token.rawName}' takes no value`)
    } else if (!option || (!token.rawName.startsWith('--') && option.short !== token.rawName.slice(1))) {
      problem = new UsageError(`unknown option '${token.rawName}'`)
    } else if (option.type === 'boolean' && token.value !== undefined) {
      problem = new UsageError(`option '${token.rawName}' takes no value`)
    } else if (option.type === 'string' && (token.value === undefined || valueLooksLikeOption)) {
      problem = new UsageError(`option '${token.rawName}' needs a value (${option.value ?? 'VALUE'})`)
    } else if (option.type === 'string' && option.choices && !option.choices.includes(token.value!)) {
      problem = new UsageError(
        `unknown ${token.name} '${token.value}' for '--${token.name}'`,
        `use one of: ${option.choices.join(', ')}`,
      )
    } else {
      values[token.name] = option.type === 'boolean' ? true : token.value!
    }
  }
  if (problem) throw problem
  let rest: string[] = []
  if (terminator !== null) {
    const after = argv.slice(terminator + 1)
    if (spec.passthrough) rest = after
    else positionals.push(...after)
  }
  if (spec.passthrough && (terminator === null || rest.length === 0)) {
    throw new UsageError(`missing '--' and ${spec.passthrough.name}`)
  }
  checkPositionals(spec, positionals)
  return { help: false, args: { values: values as OptionValues<O>, positionals, rest } }
}

function checkPositionals(spec: CommandSpec<OptionSpecs>, positionals: readonly string[]): void {
  const declared = spec.arguments ?? []
  const required = declared.filter((a) => !a.optional)
  if (positionals.length < required.length) {
    throw new UsageError(`missing argument ${required[positionals.length]!.name}`)
  }
  const last = declared[declared.length - 1]
  if (!last?.variadic && positionals.length > declared.length) {
    const extra = positionals[declared.length]!
    throw new UsageError(
      declared.length === 0
        ? `unexpected argument '${extra}'`
        : `unexpected argument '${extra}' after ${declared.map((a) => a.name).join(' ')}`,
    )
  }
}

/** The synopsis after `git-seal NAME`: options, then arguments, then the `--` command. */
export function synopsis(spec: CommandSpec<OptionSpecs>): string {
  if (spec.synopsis !== undefined) return spec.synopsis
  const parts: string[] = []
  for (const [name, o] of Object.entries(spec.options ?? {})) {
    parts.push(o.type === 'boolean' ? `[--${name}]` : `[--${name} ${o.value ?? 'VALUE'}]`)
  }
  for (const a of spec.arguments ?? []) {
    const word = a.variadic ? `${a.name}...` : a.name
    parts.push(a.optional ? `[${word}]` : word)
  }
  if (spec.passthrough) parts.push(`-- ${spec.passthrough.name}`)
  return parts.join(' ')
}

/** Two columns: names padded to the widest, then the text (continuation lines indented). */
export function columns(rows: readonly (readonly [string, string])[], indent = '  ', minWidth = 0): string[] {
  const width = Math.max(minWidth, ...rows.map(([left]) => left.length))
  const lines: string[] = []
  for (const [left, right] of rows) {
    const [first = '', ...more] = right.split('\n')
    lines.push(`${indent}${left.padEnd(width)}  ${first}`.trimEnd())
    for (const m of more) lines.push(`${indent}${' '.repeat(width)}  ${m}`)
  }
  return lines
}

/** A command's help: usage line, summary, description, arguments and options. */
export function commandHelp(spec: CommandSpec<OptionSpecs>): string {
  const out = [`usage: git-seal ${spec.name}${synopsis(spec) ? ` ${synopsis(spec)}` : ''}`, '', `${spec.summary}.`]
  if (spec.description) out.push('', spec.description.trim())
  const args: [string, string][] = (spec.arguments ?? []).map((a) => [a.variadic ? `${a.name}...` : a.name, a.help])
  if (spec.passthrough) args.push([spec.passthrough.name, spec.passthrough.help])
  if (args.length > 0) out.push('', 'arguments:', ...columns(args))
  const options: [string, string][] = Object.entries(spec.options ?? {}).map(([name, o]) => {
    const long = `--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`
    return [o.short ? `-${o.short}, ${long}` : `    ${long}`, o.help]
  })
  options.push(['-h, --help', 'show this help'])
  out.push('', 'options:', ...columns(options))
  return out.join('\n')
}
