// The check-attr child the filter's loader starts early (src/git/check-attr-prestart.ts): adopted only
// when it is the very child the program would start, ended otherwise, and answering as its own.
import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import { CONVERSION_ATTRIBUTES } from '../../src/git/attributes.js'
import { prestartCheckAttr, takePrestartedCheckAttr } from '../../src/git/check-attr-prestart.js'
import { sealedRepo } from '../helpers/repo.js'

const ARGS = ['check-attr', '--stdin', '-z', ...CONVERSION_ATTRIBUTES]

function inDir<T>(dir: string, work: () => T): T {
  const before = process.cwd()
  process.chdir(dir)
  try {
    return work()
  } finally {
    process.chdir(before)
  }
}

describe('the prestarted check-attr child', () => {
  it('is adopted once when it fits, and answers for a path', async () => {
    const { repo } = sealedRepo()
    inDir(repo.dir, () => prestartCheckAttr(CONVERSION_ATTRIBUTES))
    const child = takePrestartedCheckAttr(ARGS, repo.dir, process.env)
    expect(child).not.toBeNull()
    expect(takePrestartedCheckAttr(ARGS, repo.dir, process.env)).toBeNull() // at most once
    let out = ''
    child!.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
    child!.stdin.end('secrets/a.txt\0')
    await once(child!, 'close')
    expect(out).toContain('secrets/a.txt\0text\0unset\0')
  })

  it('is ended, not adopted, for another directory, other attributes or another environment', async () => {
    const { repo } = sealedRepo()
    for (const [args, cwd, env] of [
      [ARGS, '/', process.env],
      [[...ARGS, 'filter'], repo.dir, process.env],
      [ARGS, repo.dir, { ...process.env }],
    ] as const) {
      inDir(repo.dir, () => prestartCheckAttr(CONVERSION_ATTRIBUTES))
      const held = (globalThis as Record<symbol, { child: import('node:child_process').ChildProcess } | undefined>)[
        Symbol.for('git-seal.prestarted-check-attr')
      ]!.child
      expect(takePrestartedCheckAttr(args, cwd, env)).toBeNull()
      const [code] = await once(held, 'exit')
      expect(code).toBe(0) // its stdin closed: it finished
    }
  })
})
