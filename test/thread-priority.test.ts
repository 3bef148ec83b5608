// Background threads yield to the request path (src/thread-priority.ts): every thread
// but the main one, and a worker that lowers itself, end at nice 10; the main thread keeps its
// priority. Run in a process of its own, since it renices that process's threads.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { buildSync } from 'esbuild'
import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { generateIdentity, identityToRecipient } from '../src/age/index.js'
import { ROOT, ensureBundle } from './helpers/repo.js'

const linux = process.platform === 'linux' && existsSync('/proc/thread-self')
if (!linux) console.log('skipped: thread priorities are set through /proc on Linux only')

/** Runs `body` (TypeScript, with lowerBackgroundThreads, lowerThisThread and niceOf in scope) in a child node. */
function run(body: string): string {
  const contents = `
    import { readFileSync, readdirSync } from 'node:fs'
    import { MessageChannel, Worker } from 'node:worker_threads'
    import { lowerBackgroundThreads, lowerThisThread } from './src/thread-priority.js'
    // /proc/<pid>/task/<tid>/stat: the nice value is field 19, the 17th after the ')' ending the name.
    const niceOf = (tid: number): number =>
      Number(readFileSync(\`/proc/self/task/\${tid}/stat\`, 'latin1').split(')').pop()!.trim().split(' ')[16])
    const tasks = (): number[] => readdirSync('/proc/self/task').map(Number)
    void Worker; void MessageChannel; void lowerThisThread; void lowerBackgroundThreads; void niceOf; void tasks
    ${body}
  `
  const bundled = buildSync({
    stdin: { contents, resolveDir: ROOT, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    write: false,
  })
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', bundled.outputFiles[0]!.text])
  expect(r.stderr.toString()).toBe('')
  return r.stdout.toString().trim()
}

describe.runIf(linux)('thread priority', () => {
  it('lowers every thread but the main one to nice 10', () => {
    const out = run(`
      const before = tasks().filter((t) => t !== process.pid).map(niceOf)
      lowerBackgroundThreads()
      const after = tasks().filter((t) => t !== process.pid).map(niceOf)
      console.log(JSON.stringify({ before, after, main: niceOf(process.pid) }))
    `)
    const { before, after, main } = JSON.parse(out) as { before: number[]; after: number[]; main: number }
    expect(before.length).toBeGreaterThan(0) // V8's platform threads
    expect(before.every((n) => n === 0)).toBe(true)
    expect(after).toEqual(before.map(() => 10))
    expect(main).toBe(0)
  })

  it('the header worker (dist/prewrap-worker.mjs) lowers itself, and the main thread keeps its priority', () => {
    ensureBundle()
    const workerFile = join(ROOT, 'dist', 'prewrap-worker.mjs')
    const recipient = identityToRecipient(generateIdentity())
    const out = run(`
      const before = new Set(tasks())
      const { port1, port2 } = new MessageChannel()
      const worker = new Worker(${JSON.stringify(workerFile)}, { workerData: { port: port2 }, transferList: [port2], execArgv: [] })
      port1.postMessage({ set: 'a', recipients: [${JSON.stringify(recipient)}], count: 1 })
      port1.once('message', (m: { failed?: boolean }) => {
        const added = tasks().filter((t) => !before.has(t))
        console.log(JSON.stringify({ failed: m.failed ?? false, added: added.map(niceOf), main: niceOf(process.pid) }))
        port1.close()
        void worker.terminate()
      })
    `)
    const { failed, added, main } = JSON.parse(out) as { failed: boolean; added: number[]; main: number }
    expect(failed).toBe(false) // it made the header it was asked for
    expect(added).toContain(10) // the worker's thread
    expect(main).toBe(0)
  })
})
