/**
 * Golden transcripts (after age's cmd/age/testdata/*.txt): each test/golden/*.txt holds one
 * git-seal command line, the files it runs among, and its exact exit status, stdout and stderr,
 * run against the built bundle. They are the command-line interface: a change to them is a
 * change users see. `UPDATE_GOLDEN=1 npx vitest run test/cli/golden.test.ts` rewrites the
 * expected sections (and writes help-CMD.txt for a command that has none); review the diff.
 *
 * A transcript:
 *
 *     # what it shows (any number of comment lines)
 *     setup repo commit key       where it runs (see SETUPS); `commit`: commit the files first;
 *                                 `key`: an age identity in HOME
 *     $ git-seal verify nope      the command line ('...' quotes a word)
 *     -- .gitseal.yaml --         files written before it runs (any number)
 *     ...
 *     -- exit --                  what it must do
 *     1
 *     -- stdout --
 *     -- stderr --
 *     git-seal: error: ...
 *
 * $RECIPIENT and $RECIPIENT2 stand for public keys generated per run; the identity of the
 * first is in HOME with `key`. Output has the work directory as $WORK, HOME as $HOME and the
 * version as $VERSION.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { commands } from '../../src/cli/table.js'
import { BUNDLE, ROOT, ensureBundle, newHome, newKey, tempDir } from '../helpers/repo.js'

const GOLDEN = join(ROOT, 'test', 'golden')
const UPDATE = process.env['UPDATE_GOLDEN'] === '1'
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version
const OUTPUTS = ['exit', 'stdout', 'stderr'] as const

/** Where a transcript runs. */
const SETUPS = ['dir', 'repo', 'bare'] as const
type Setup = (typeof SETUPS)[number]

interface Transcript {
  comments: string[]
  setup: Setup
  commit: boolean
  key: boolean
  args: string[]
  files: [string, string][]
  expected: Record<(typeof OUTPUTS)[number], string> | null
}

/** Splits a command line into words; single quotes keep spaces. */
function words(line: string): string[] {
  const out: string[] = []
  for (const m of line.matchAll(/'([^']*)'|(\S+)/g)) out.push(m[1] ?? m[2]!)
  return out
}

function parseTranscript(text: string, file: string): Transcript {
  const lines = text.split('\n')
  const t: Transcript = { comments: [], setup: 'dir', commit: false, key: false, args: [], files: [], expected: null }
  let i = 0
  for (; i < lines.length && !lines[i]!.startsWith('-- '); i++) {
    const line = lines[i]!
    if (line.startsWith('#')) t.comments.push(line)
    else if (line.startsWith('setup ')) {
      const [where, ...flags] = line.slice('setup '.length).trim().split(/\s+/)
      if (!SETUPS.includes(where as Setup)) throw new Error(`${file}: unknown setup '${where}'`)
      t.setup = where as Setup
      t.commit = flags.includes('commit')
      t.key = flags.includes('key')
    } else if (line.startsWith('$ git-seal')) t.args = words(line.slice('$ git-seal'.length))
    else if (line.trim() !== '') throw new Error(`${file}: cannot read line ${i + 1}: ${line}`)
  }
  const sections: [string, string[]][] = []
  for (; i < lines.length; i++) {
    const header = /^-- (.+) --$/.exec(lines[i]!)
    if (header) sections.push([header[1]!, []])
    else sections[sections.length - 1]![1].push(lines[i]!)
  }
  const expected: Partial<Record<(typeof OUTPUTS)[number], string>> = {}
  for (const [name, body] of sections) {
    const content = body.join('\n')
    if ((OUTPUTS as readonly string[]).includes(name)) expected[name as (typeof OUTPUTS)[number]] = content
    else t.files.push([name, content])
  }
  if (OUTPUTS.every((o) => expected[o] !== undefined)) t.expected = expected as Record<(typeof OUTPUTS)[number], string>
  return t
}

function render(t: Transcript, actual: Record<(typeof OUTPUTS)[number], string>): string {
  const head = [...t.comments]
  if (t.setup !== 'dir' || t.commit || t.key)
    head.push(['setup', t.setup, ...(t.commit ? ['commit'] : []), ...(t.key ? ['key'] : [])].join(' '))
  head.push(`$ git-seal ${t.args.map((a) => (/^[^\s']+$/.test(a) ? a : `'${a}'`)).join(' ')}`.trimEnd())
  const body = [...t.files, ...OUTPUTS.map((o) => [o, actual[o]] as [string, string])].flatMap(([name, content]) => [
    `-- ${name} --`,
    content,
  ])
  return [...head, ...body].join('\n')
}

/** Runs a transcript's command line where it says, and returns what it did, normalized. */
function run(t: Transcript): Record<(typeof OUTPUTS)[number], string> {
  const work = realpathSync(tempDir('git-seal-golden-'))
  const home = newHome()
  const keys = [newKey(), newKey()]
  if (t.key) home.installKey(keys[0]!)
  const substitute = (s: string): string =>
    s.replaceAll('$RECIPIENT2', keys[1]!.recipient).replaceAll('$RECIPIENT', keys[0]!.recipient)
  const env: NodeJS.ProcessEnv = {
    ...home.env,
    NO_COLOR: '1',
    // Fixed dates: commit ids in messages stay the same from run to run.
    GIT_AUTHOR_DATE: '2024-01-01T00:00:00Z',
    GIT_COMMITTER_DATE: '2024-01-01T00:00:00Z',
    // Never find a repository above the work directory.
    GIT_CEILING_DIRECTORIES: dirname(work),
  }
  delete env['GIT_SEAL_DEBUG']
  const git = (...args: string[]): void => {
    const r = spawnSync('git', args, { cwd: work, env })
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr.toString()}`)
  }
  if (t.setup === 'repo') git('init', '-q')
  if (t.setup === 'bare') git('init', '-q', '--bare')
  for (const [name, content] of t.files) {
    mkdirSync(dirname(join(work, name)), { recursive: true })
    writeFileSync(join(work, name), substitute(content))
  }
  if (t.commit) {
    git('add', '-A')
    git('commit', '-q', '--allow-empty', '-m', 'transcript')
  }
  const r = spawnSync(process.execPath, [BUNDLE, ...t.args.map(substitute)], { cwd: work, env, input: '' })
  const normalize = (s: string): string =>
    s
      .replaceAll(work, '$WORK')
      .replaceAll(home.dir, '$HOME')
      .replaceAll(keys[1]!.recipient, '$RECIPIENT2')
      .replaceAll(keys[0]!.recipient, '$RECIPIENT')
      .replaceAll(VERSION, '$VERSION')
  return {
    exit: String(r.status ?? `signal ${r.signal}`),
    stdout: normalize(r.stdout.toString()),
    stderr: normalize(r.stderr.toString()),
  }
}

/** Runs the bundle without waiting on it synchronously, so that several can run at once. */
function runBundle(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BUNDLE, ...args], {
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', fail)
    child.on('close', (status) => done({ status, stdout, stderr }))
  })
}

/** The transcript of `git-seal CMD --help` for each command; written on UPDATE_GOLDEN=1. */
function helpFile(name: string): string {
  return join(GOLDEN, `help-${name}.txt`)
}

ensureBundle()
if (UPDATE) {
  mkdirSync(GOLDEN, { recursive: true })
  for (const c of commands) {
    if (!existsSync(helpFile(c.name)))
      writeFileSync(helpFile(c.name), `# git-seal ${c.name} --help\n$ git-seal ${c.name} --help\n`)
  }
}
const files = readdirSync(GOLDEN)
  .filter((f) => f.endsWith('.txt'))
  .sort()

describe('golden transcripts (test/golden)', () => {
  it.each(files)('%s', (file) => {
    const path = join(GOLDEN, file)
    const transcript = parseTranscript(readFileSync(path, 'utf8'), file)
    const actual = run(transcript)
    if (UPDATE) {
      writeFileSync(path, render(transcript, actual))
      return
    }
    if (!transcript.expected) throw new Error(`${file} has no expected output: run with UPDATE_GOLDEN=1`)
    expect(actual).toEqual(transcript.expected)
  })

  it('has a help transcript for every command, and help is the same however it is asked for', async () => {
    const missing = commands.filter((c) => !existsSync(helpFile(c.name))).map((c) => c.name)
    expect(missing, 'run with UPDATE_GOLDEN=1 to write them').toEqual([])
    const runs = commands.flatMap((c) => {
      const golden = parseTranscript(readFileSync(helpFile(c.name), 'utf8'), helpFile(c.name))
      expect(golden.args).toEqual([c.name, '--help'])
      return [
        [c.name, '-h'],
        ['help', c.name],
      ].map((args) => ({ args, expected: { args, status: 0, stdout: golden.expected?.stdout, stderr: '' } }))
    })
    // A few at a time: 56 starts of node one after the other take seconds.
    const results: unknown[] = []
    for (let i = 0; i < runs.length; i += 4) {
      results.push(
        ...(await Promise.all(
          runs.slice(i, i + 4).map(async ({ args }) => {
            const r = await runBundle(args)
            return { args, status: r.status, stdout: r.stdout, stderr: r.stderr }
          }),
        )),
      )
    }
    expect(results).toEqual(runs.map((r) => r.expected))
  })
})
