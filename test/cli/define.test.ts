/**
 * The command model (src/cli/define.ts): what a command line parses to, and which command lines
 * are usage errors. The transcripts in test/golden show the same through the built bundle.
 */
import { describe, expect, it } from 'vitest'
import { commandHelp, defineCommand, parseCommandLine, synopsis } from '../../src/cli/define.js'
import { commands } from '../../src/cli/table.js'
import { UsageError } from '../../src/errors.js'

const show = defineCommand({
  name: 'show',
  group: 'secrets',
  summary: 'print a secret',
  options: {
    rev: { type: 'string', short: 'r', value: 'REV', help: 'a commit' },
    json: { type: 'boolean', help: 'JSON' },
  },
  arguments: [{ name: 'PATH', help: 'the file' }],
  run: () => 0,
})
const exec = defineCommand({
  name: 'exec',
  group: 'secrets',
  summary: 'run',
  arguments: [{ name: 'PATH', variadic: true, help: 'files' }],
  passthrough: { name: 'COMMAND', help: 'what to run' },
  run: () => 0,
})
const textconv = defineCommand({
  name: 'textconv',
  group: 'git',
  summary: 'diff',
  literal: true,
  arguments: [{ name: 'FILE', help: 'f' }],
  run: () => 0,
})
const verify = defineCommand({
  name: 'verify',
  group: 'checks',
  summary: 'check',
  options: { format: { type: 'string', choices: ['text', 'sarif'], help: 'f' } },
  arguments: [{ name: 'RANGE', optional: true, help: 'r' }],
  run: () => 0,
})

function parsed(spec: Parameters<typeof parseCommandLine>[0], argv: string[]): unknown {
  const invocation = parseCommandLine(spec, argv)
  return invocation.help ? 'help' : invocation.args
}

function usageError(spec: Parameters<typeof parseCommandLine>[0], argv: string[]): string {
  try {
    parseCommandLine(spec, argv)
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError)
    return (e as Error).message
  }
  throw new Error(`no usage error for ${argv.join(' ')}`)
}

describe('parseCommandLine', () => {
  it.each([
    [['a.txt'], { values: {}, positionals: ['a.txt'], rest: [] }],
    [['--rev', 'HEAD~1', 'a.txt'], { values: { rev: 'HEAD~1' }, positionals: ['a.txt'], rest: [] }],
    [['a.txt', '--rev=HEAD'], { values: { rev: 'HEAD' }, positionals: ['a.txt'], rest: [] }],
    [['-rHEAD', 'a.txt'], { values: { rev: 'HEAD' }, positionals: ['a.txt'], rest: [] }],
    [['--json', 'a.txt'], { values: { json: true }, positionals: ['a.txt'], rest: [] }],
    // after `--`, a file named like an option is a file
    [['--', '-x.txt'], { values: {}, positionals: ['-x.txt'], rest: [] }],
    [['-'], { values: {}, positionals: ['-'], rest: [] }],
  ])('show %j', (argv, expected) => {
    expect(parsed(show, argv)).toEqual(expected)
  })

  it.each([
    [['--help'], 'help'],
    [['-h'], 'help'],
    // help wins over every other problem on the line
    [['--bogus', '--help'], 'help'],
    [['a', 'b', '-h'], 'help'],
  ])('show %j asks for help', (argv, expected) => {
    expect(parsed(show, argv)).toBe(expected)
  })

  it.each([
    [[], 'missing argument PATH'],
    [['a', 'b'], "unexpected argument 'b' after PATH"],
    [['--bogus', 'a'], "unknown option '--bogus'"],
    [['-x', 'a'], "unknown option '-x'"],
    [['--rev'], "option '--rev' needs a value (REV)"],
    // the value git would have taken was the next option
    [['--rev', '--json', 'a'], "option '--rev' needs a value (REV)"],
    [['--json=yes', 'a'], "option '--json' takes no value"],
    [['--help=me'], "option '--help' takes no value"],
  ])('show %j is a usage error', (argv, message) => {
    expect(usageError(show, argv)).toBe(message)
  })

  it('checks a value against its choices', () => {
    expect(parsed(verify, ['--format', 'sarif'])).toEqual({ values: { format: 'sarif' }, positionals: [], rest: [] })
    expect(usageError(verify, ['--format', 'xml'])).toBe("unknown format 'xml' for '--format'")
    expect(usageError(verify, ['a', 'b'])).toBe("unexpected argument 'b' after RANGE")
  })

  it('hands what follows -- to a passthrough command, and requires it', () => {
    expect(parsed(exec, ['a.env', 'b.env', '--', 'env', '--help'])).toEqual({
      values: {},
      positionals: ['a.env', 'b.env'],
      rest: ['env', '--help'],
    })
    expect(usageError(exec, ['a.env'])).toBe("missing '--' and COMMAND")
    expect(usageError(exec, ['a.env', '--'])).toBe("missing '--' and COMMAND")
    expect(usageError(exec, ['--', 'env'])).toBe('missing argument PATH')
  })

  it('never reads the arguments of a command git runs as options, except a lone --help', () => {
    expect(parsed(textconv, ['-x'])).toEqual({ values: {}, positionals: ['-x'], rest: [] })
    expect(parsed(textconv, ['--help'])).toBe('help')
    expect(usageError(textconv, [])).toBe('missing argument FILE')
    expect(usageError(textconv, ['a', '--help'])).toBe("unexpected argument '--help' after FILE")
  })
})

describe('the command table', () => {
  it('declares each command once, with a summary, and help that names every option', () => {
    const names = commands.map((c) => c.name)
    expect(new Set(names).size).toBe(names.length)
    for (const c of commands) {
      expect(c.summary).toMatch(/^[a-z]/)
      expect(c.summary).not.toMatch(/\.$/)
      const help = commandHelp(c)
      expect(help.split('\n')[0]).toBe(`usage: git-seal ${c.name}${synopsis(c) ? ` ${synopsis(c)}` : ''}`)
      for (const [name, o] of Object.entries(c.options ?? {})) {
        expect(help).toContain(`--${name}`)
        if (o.short) expect(help).toContain(`-${o.short}, --${name}`)
        for (const choice of o.choices ?? []) expect(o.help).toContain(choice)
      }
      for (const a of c.arguments ?? []) expect(help).toContain(a.name)
      // only the last argument may take the rest
      expect((c.arguments ?? []).slice(0, -1).some((a) => a.variadic)).toBe(false)
    }
  })
})
