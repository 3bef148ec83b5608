// action.yml, run the way GitHub runs a composite action: each step's `run:` through
// `bash --noprofile --norc -eo pipefail`, in its working-directory, with the step's `env:`
// (expressions evaluated: inputs and earlier steps' outputs, nothing else is allowed), the
// GITHUB_* variables of the event, and GITHUB_OUTPUT collected between steps. git-seal comes
// from the repository's node_modules, as for a project with git-seal as a devDependency.
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { BUNDLE, ROOT, Repo, sealedRepo, tempDir } from '../helpers/repo.js'

const MARKER = 'action-plaintext-marker'

interface ActionStep {
  id?: string
  name: string
  shell: string
  run: string
  env?: Record<string, string>
  'working-directory'?: string
}
interface Action {
  name: string
  description: string
  inputs: Record<string, { description: string; required: boolean; default: string }>
  outputs: Record<string, { description: string; value: string }>
  runs: { using: string; steps: ActionStep[] }
}

const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as Action

/** Evaluates the `${{ ... }}` expressions this action may use; any other is a test failure. */
function evaluate(
  text: string,
  inputs: Record<string, string>,
  outputs: Record<string, Record<string, string>>,
): string {
  return text.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_all, expr: string) => {
    let m = /^inputs\.([\w-]+)$/.exec(expr)
    if (m) {
      if (!(m[1]! in action.inputs)) throw new Error(`the action reads an undeclared input: ${m[1]}`)
      return inputs[m[1]!] ?? action.inputs[m[1]!]!.default
    }
    m = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(expr)
    if (m) return outputs[m[1]!]?.[m[2]!] ?? ''
    throw new Error(`expression this test does not evaluate: ${expr}`)
  })
}

interface Run {
  status: number
  stdout: string
  stderr: string
  outputs: Record<string, string>
}

/** Runs the action's steps in `repo` for an event; stops at the first failing step, as Actions does. */
function runAction(
  repo: Repo,
  event: { name: string; payload: object; baseRef?: string },
  inputs: Record<string, string> = {},
  workspace = repo.dir,
): Run {
  const dir = tempDir('git-seal-action-')
  const eventPath = join(dir, 'event.json')
  writeFileSync(eventPath, JSON.stringify(event.payload))
  const stepOutputs: Record<string, Record<string, string>> = {}
  let stdout = ''
  let stderr = ''
  for (const [i, step] of action.runs.steps.entries()) {
    expect(step.shell).toBe('bash')
    const outputFile = join(dir, `output-${i}`)
    writeFileSync(outputFile, '')
    const script = join(dir, `step-${i}.sh`)
    writeFileSync(script, step.run)
    const env: NodeJS.ProcessEnv = {
      ...repo.env,
      npm_config_update_notifier: 'false',
      GITHUB_ACTIONS: 'true',
      CI: 'true',
      GITHUB_EVENT_NAME: event.name,
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_BASE_REF: event.baseRef ?? '',
      GITHUB_WORKSPACE: workspace,
      GITHUB_OUTPUT: outputFile,
      GITHUB_SHA: repo.git('rev-parse', 'HEAD').trim(),
    }
    for (const [k, v] of Object.entries(step.env ?? {})) env[k] = evaluate(String(v), inputs, stepOutputs)
    const cwd = join(workspace, evaluate(step['working-directory'] ?? '.', inputs, stepOutputs))
    const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd, env, encoding: 'utf8' })
    stdout += r.stdout
    stderr += r.stderr
    if (step.id) {
      stepOutputs[step.id] = Object.fromEntries(
        readFileSync(outputFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      )
    }
    if (r.status !== 0) return { status: r.status ?? 1, stdout, stderr, outputs: {} }
  }
  const outputs = Object.fromEntries(
    Object.entries(action.outputs).map(([k, o]) => [k, evaluate(o.value, inputs, stepOutputs)]),
  )
  return { status: 0, stdout, stderr, outputs }
}

/** A sealed repository with git-seal in its node_modules (ignored), as `npm ci` leaves it. */
function project(): Repo {
  const { repo } = sealedRepo(['secrets/**'])
  mkdirSync(join(repo.dir, 'node_modules', '.bin'), { recursive: true })
  symlinkSync(BUNDLE, join(repo.dir, 'node_modules', '.bin', 'git-seal'))
  repo.write('.gitignore', 'node_modules/\n')
  repo.git('add', '.gitignore')
  repo.git('commit', '-qm', 'ignore node_modules')
  return repo
}

function commitPlaintext(repo: Repo): void {
  repo.stageRaw('secrets/leak.txt', `${MARKER}\n`)
  repo.git('commit', '-q', '--no-verify', '-m', 'plaintext, past the guard')
}

describe('action.yml', () => {
  it('is a composite action whose scripts take inputs through the environment only', () => {
    expect(action.runs.using).toBe('composite')
    expect(action.name).toBeTruthy()
    expect(action.description).toBeTruthy()
    for (const step of action.runs.steps) {
      expect(step.run).not.toContain('${{')
      expect(step.shell).toBe('bash')
    }
    expect(Object.keys(action.inputs).sort()).toEqual(['range', 'sarif-file', 'working-directory'])
  })

  it('on a push: verifies the pushed commits (before..HEAD); fails on a plaintext secret, passes on ciphertext', () => {
    const repo = project()
    const before = repo.git('rev-parse', 'HEAD').trim()
    repo.write('secrets/ok.txt', 'encrypted by the filter\n')
    repo.git('add', 'secrets/ok.txt')
    repo.git('commit', '-qm', 'a secret, encrypted')
    const pass = runAction(repo, { name: 'push', payload: { before, after: repo.git('rev-parse', 'HEAD').trim() } })
    expect(pass.status, pass.stderr).toBe(0)
    expect(pass.outputs['range']).toBe(`${before}..HEAD`)
    expect(pass.stderr).toContain('verified 1 commit(s)')

    commitPlaintext(repo)
    const fail = runAction(repo, { name: 'push', payload: { before, after: repo.git('rev-parse', 'HEAD').trim() } })
    expect(fail.status).not.toBe(0)
    expect(fail.stderr).toContain('secrets/leak.txt holds a secret in plaintext')
    expect(fail.stdout + fail.stderr).not.toContain(MARKER)
  })

  it('a new branch (before all zeros) verifies every ref; sarif-file gets the findings and the step still fails', () => {
    const repo = project()
    commitPlaintext(repo)
    const r = runAction(repo, { name: 'push', payload: { before: '0'.repeat(40) } }, { 'sarif-file': 'git-seal.sarif' })
    expect(r.status).not.toBe(0)
    expect(r.stdout).toContain('git-seal: verifying --all')
    const log = JSON.parse(readFileSync(join(repo.dir, 'git-seal.sarif'), 'utf8'))
    expect(log.version).toBe('2.1.0')
    expect(log.runs[0].results.map((x: { ruleId: string }) => x.ruleId)).toEqual(['plaintext-secret'])
  })

  it("on a pull request: verifies origin/BASE..HEAD, so the base branch's history does not count", () => {
    const origin = project()
    commitPlaintext(origin) // on main, before the pull request: not the pull request's fault
    const server = join(tempDir('git-seal-origin-'), 'origin.git')
    origin.git('clone', '-q', '--bare', origin.dir, server)
    const repo = new Repo(tempDir('git-seal-pr-'), origin.home)
    repo.git('clone', '-q', server, repo.dir)
    mkdirSync(join(repo.dir, 'node_modules', '.bin'), { recursive: true })
    symlinkSync(BUNDLE, join(repo.dir, 'node_modules', '.bin', 'git-seal'))
    repo.git('switch', '-q', '-c', 'feature')
    repo.write('README.md', 'docs\n')
    repo.git('add', 'README.md')
    repo.git('commit', '-qm', 'docs')
    const pass = runAction(repo, { name: 'pull_request', payload: {}, baseRef: 'main' })
    expect(pass.status, pass.stderr).toBe(0)
    expect(pass.outputs['range']).toBe('origin/main..HEAD')

    repo.stageRaw('secrets/pr.txt', `${MARKER}-pr\n`)
    repo.git('commit', '-q', '--no-verify', '-m', 'plaintext in the pull request')
    const fail = runAction(repo, { name: 'pull_request', payload: {}, baseRef: 'main' })
    expect(fail.status).not.toBe(0)
    expect(fail.stderr).toContain('secrets/pr.txt holds a secret in plaintext')
    expect(fail.stderr).not.toContain('secrets/leak.txt')
  })

  it('an explicit range input wins, in a working-directory below the workspace', () => {
    const repo = project()
    const base = repo.git('rev-parse', 'HEAD').trim()
    commitPlaintext(repo)
    const r = runAction(
      repo,
      { name: 'workflow_dispatch', payload: {} },
      { range: `${base}..${base}`, 'working-directory': basename(repo.dir) },
      dirname(repo.dir),
    )
    expect(r.status, r.stderr).toBe(0)
    expect(r.outputs['range']).toBe(`${base}..${base}`)
    expect(r.stderr).toContain('verified 0 commit(s)')
    // And without a range, on an event that is neither push nor pull request: every ref.
    const all = runAction(repo, { name: 'workflow_dispatch', payload: {} })
    expect(all.status).not.toBe(0)
    expect(all.outputs['range'] ?? 'none').toBe('none')
    expect(all.stdout).toContain('git-seal: verifying --all')
  })
})
