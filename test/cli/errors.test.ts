/**
 * The exit status of every kind of thrown value (src/errors.ts), and how each is reported:
 * user errors and failures of the world with their hint and exit 1, usage errors with exit 2,
 * anything else as a bug, exit 70.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { buildSync } from 'esbuild'
import { describe, expect, it } from 'vitest'
import { AgeError } from '../../src/age/errors.js'
import { ConfigError } from '../../src/config/schema.js'
import { EXIT, UsageError, UserError, bareRepositoryError, exitStatusOf } from '../../src/errors.js'
import { SopsError } from '../../src/formats/sops/errors.js'
import { GitError } from '../../src/git/run.js'
import { ROOT } from '../helpers/repo.js'

function systemError(): Error {
  try {
    readFileSync('/nonexistent/git-seal-test')
  } catch (e) {
    return e as Error
  }
  throw new Error('unreachable: the file exists')
}

describe('exitStatusOf', () => {
  it.each([
    ['a usage error', new UsageError('unknown option'), EXIT.usage],
    ['a user error', new UserError('no key', 'get one'), EXIT.problem],
    ['an invalid config', new ConfigError(['bad'], '.gitseal.yaml'), EXIT.problem],
    ['a bare repository', bareRepositoryError(), EXIT.problem],
    ['a damaged age file', new AgeError('bad-mac', 'header MAC mismatch'), EXIT.problem],
    ['a damaged sops file', new SopsError('bad-mac', 'MAC mismatch'), EXIT.problem],
    ['git failing', new GitError(['rev-parse'], 128, 'fatal: bad revision'), EXIT.problem],
    ['a missing file', systemError(), EXIT.problem],
    [
      'an error of a lower layer with a hint of its own',
      Object.assign(new Error('plugin failed'), { name: 'PluginError', hint: 'touch the key' }),
      EXIT.problem,
    ],
    ['a TypeError (a bug)', new TypeError("cannot read properties of undefined (reading 'x')"), EXIT.internal],
    ['a plain Error (a bug)', new Error('internal: overlapping edits'), EXIT.internal],
    ['a thrown string (a bug)', 'oops', EXIT.internal],
  ])('%s', (_what, thrown, status) => {
    expect(exitStatusOf(thrown)).toBe(status)
  })

  it('gives every user error a code, and usage errors the code usage', () => {
    expect(new UserError('x').code).toBe('user')
    expect(new UsageError('x').code).toBe('usage')
    expect(new ConfigError(['x'], 'f').code).toBe('config')
    expect(bareRepositoryError().code).toBe('bare-repository')
    expect(bareRepositoryError().hint).toBeTruthy()
  })
})

describe('reporting', () => {
  // ui.ts's reportError, in a process of its own: it writes to fd 2 synchronously.
  function report(expression: string): string {
    const contents = `import { reportError } from './src/ui.js'; import { UserError } from './src/errors.js'; reportError(${expression})`
    const bundled = buildSync({
      stdin: { contents, resolveDir: ROOT, loader: 'ts' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
    })
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', bundled.outputFiles[0]!.text], {
      env: { ...process.env, NO_COLOR: '1', GIT_SEAL_DEBUG: '' },
    })
    return r.stderr.toString()
  }

  it('prints a user error with its hint, and a bug with the hint to report it', () => {
    expect(report("new UserError('no key here', 'set SOPS_AGE_KEY')")).toBe(
      'git-seal: error: no key here\ngit-seal: hint: set SOPS_AGE_KEY\n',
    )
    expect(report("new TypeError('x is undefined')")).toMatch(
      /^git-seal: error: x is undefined\ngit-seal: hint: this is a bug in git-seal: please report it/,
    )
  })
})
