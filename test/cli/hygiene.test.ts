/**
 * Rules of the code base that a reader should not have to check by hand: the lower layers throw
 * errors.ts's errors without depending on the printing module, an empty catch block always
 * says why it may be empty, and the test suite's hooks are read in one module.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { testHooks } from '../../src/test-hooks.js'
import { ROOT } from '../helpers/repo.js'

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  )
}

describe('code hygiene', () => {
  it('config/, git/ and keys/ never import ui.ts (they throw errors.ts errors; commands print them)', () => {
    const offenders = ['config', 'git', 'keys']
      .flatMap((layer) => sources(join(ROOT, 'src', layer)))
      .filter((file) => /from '\.\.\/ui\.js'/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(ROOT, file))
    expect(offenders).toEqual([])
  })

  it('every empty catch block in src/ says why (scripts/check-empty-catch.mjs)', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'check-empty-catch.mjs')], { cwd: ROOT })
    expect(r.stdout.toString()).toBe('')
    expect(r.status).toBe(0)
  })

  it('every UserError in src/ gives a hint (scripts/check-hints.mjs)', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'check-hints.mjs')], { cwd: ROOT })
    expect(r.stdout.toString()).toBe('')
    expect(r.status).toBe(0)
  })

  it.each([
    ["'a', 'b'", 2],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of a template literal, on purpose
    ['`${a}, ${b(c, d)}`', 1],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of a template literal, on purpose
    ['`x`, `y ${z}`,\n', 2],
    ['f(a, b)', 1],
    ["'it, is', { x: 1, y: 2 }", 2],
    ['', 0],
  ])('check-hints counts the arguments of %j as %i', async (text, count) => {
    const { argumentCount } = (await import(join(ROOT, 'scripts', 'check-hints.mjs'))) as {
      argumentCount: (t: string) => number
    }
    expect(argumentCount(text)).toBe(count)
  })

  it('reads GIT_SEAL_TEST_* only in src/test-hooks.ts', () => {
    const readers = sources(join(ROOT, 'src'))
      .filter((file) => readFileSync(file, 'utf8').includes('GIT_SEAL_TEST_'))
      .map((file) => relative(ROOT, file))
    expect(readers).toEqual(['src/test-hooks.ts'])
  })

  it.each([
    [{}, { prewrap: null, killIn: null }],
    [
      { GIT_SEAL_TEST_PREWRAP: 'wait', GIT_SEAL_TEST_FAULT: 'kill-in-clean' },
      { prewrap: 'wait', killIn: 'clean' },
    ],
    [
      { GIT_SEAL_TEST_PREWRAP: 'off', GIT_SEAL_TEST_FAULT: 'kill-in-smudge' },
      { prewrap: 'off', killIn: 'smudge' },
    ],
    [
      { GIT_SEAL_TEST_PREWRAP: 'yes', GIT_SEAL_TEST_FAULT: 'kill-in-merge' },
      { prewrap: null, killIn: null },
    ],
  ])('test hooks from %j', (env, hooks) => {
    expect(testHooks(env)).toEqual(hooks)
  })
})
