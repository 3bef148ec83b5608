/**
 * The `git check-attr` child of the long-running filter, started by the loader (entry.ts)
 * before it compiles the program: every filter-process asks it about the first file it is
 * sent (seal/conversions.ts), so starting it at once lets git's own start-up (config, index,
 * attribute files) run on the other core while this process compiles and loads its keys,
 * rather than after. Forking is cheaper then too: the process is smaller.
 *
 * The program adopts the child (git/attributes.ts, CheckAttrBatch) only when it would have
 * started the very same one (same directory, attributes and environment) and the child is
 * still running; otherwise it ends it and starts its own, which reports any failure the usual
 * way. Nothing is asked of it before adoption. Unadopted, it exits when this process does
 * (its stdin closes).
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process'

/** The loader and the program are separate bundles: the handover goes through a global. */
const KEY = Symbol.for('git-seal.prestarted-check-attr')

interface Prestarted {
  child: ChildProcessWithoutNullStreams
  cwd: string
  args: string
  /** it failed to start, or exited, before the program took it */
  gone: boolean
}

type WithPrestarted = typeof globalThis & { [KEY]?: Prestarted }

/** Whether the child and its pipes keep this process's event loop alive. */
function holdOpen(child: ChildProcessWithoutNullStreams, hold: boolean): void {
  for (const handle of [child, child.stdin, child.stdout, child.stderr] as unknown as {
    ref?(): void
    unref?(): void
  }[]) {
    if (hold) handle.ref?.()
    else handle.unref?.()
  }
}

/** Starts `git check-attr --stdin -z NAMES…` in the current directory, for {@link takePrestartedCheckAttr}. */
export function prestartCheckAttr(names: readonly string[]): void {
  const args = ['check-attr', '--stdin', '-z', ...names]
  try {
    // Loaded here, not at the top: a loader that starts no child does not pay for child_process (~2 ms).
    const { spawn } = process.getBuiltinModule('node:child_process')
    const child = spawn('git', args, { cwd: process.cwd(), env: process.env, stdio: ['pipe', 'pipe', 'pipe'] })
    const record: Prestarted = { child, cwd: process.cwd(), args: args.join('\0'), gone: false }
    const gone = (): void => {
      record.gone = true
    }
    child.on('error', gone)
    child.on('exit', gone)
    child.stdin.on('error', () => {
      // The child is gone ('exit' says so); whoever adopted it hears of it from 'close'.
    })
    // Unadopted, it must not keep this process alive (it waits for its stdin to close, which
    // happens only when this process exits): unreferenced until adopted.
    holdOpen(child, false)
    ;(globalThis as WithPrestarted)[KEY] = record
  } catch {
    // No child: the program starts its own when it needs one, and reports what fails then.
  }
}

/**
 * The prestarted child when it is the one `spawn('git', args, { cwd, env })` would start now
 * and is still running; null otherwise (a child that does not fit is ended). At most once.
 */
export function takePrestartedCheckAttr(
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): ChildProcessWithoutNullStreams | null {
  const holder = globalThis as WithPrestarted
  const record = holder[KEY]
  if (!record) return null
  delete holder[KEY]
  if (!record.gone && record.cwd === cwd && record.args === args.join('\0') && env === process.env) {
    holdOpen(record.child, true)
    return record.child
  }
  record.child.stdin.end()
  return null
}
