/**
 * Running `age-plugin-NAME --age-plugin=STATE_MACHINE` and talking to it synchronously.
 *
 * Why synchronous: identities and recipients are synchronous everywhere in git-seal (a filter
 * answers git one file at a time, and decrypt() is called from a dozen places), and a plugin is
 * just one more identity. Node cannot read a child's pipe synchronously, so a worker thread
 * owns the child and its pipes, and posts what the plugin writes; the main thread blocks on a
 * shared counter (Atomics.wait) until the next message, and pulls it with
 * receiveMessageOnPort, which needs no event loop. The worker is a few lines evaluated from a
 * string: it needs nothing of git-seal, so no extra bundle entry has to be found at run time.
 *
 * The plugin gets pipes for all three standard streams (fd 0 of a filter is git's protocol
 * stream, which it must never see), runs in the system temp directory (the spec: plugins
 * must not depend on the working directory; a filter's is the repository), and its standard
 * error is kept (the last 4 KiB) for the message when it fails.
 */
import { accessSync, constants, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, isAbsolute, join } from 'node:path'
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads'
import { PluginError } from '../errors.js'

/** The byte stream to and from one plugin process, as the state machines see it. */
export interface PluginChannel {
  send(bytes: Uint8Array): void
  /** The next bytes the plugin wrote; blocks until there are some; null once its output ended. */
  receive(): Uint8Array | null
  /** Ends the session (again: a no-op): closes its input, waits briefly for it to exit (then kills it), and says how it ended. */
  close(): PluginExit
}

export interface PluginExit {
  code: number | null
  signal: string | null
  /** the end of what the plugin wrote to standard error */
  stderr: string
}

/** Starts a plugin for one state machine. Injectable so tests can drive the state machines with no process at all. */
export type PluginLauncher = (name: string, stateMachine: string) => PluginChannel

/**
 * The first `age-plugin-NAME` on PATH that is an executable file, or null. Relative PATH
 * entries (and empty ones, which mean the current directory) are skipped: a filter runs at
 * the top of the work tree, and a repository must not be able to supply the plugin that is
 * handed an identity.
 */
export function findPlugin(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue
    const file = join(dir, `age-plugin-${name}`)
    try {
      if (!statSync(file).isFile()) continue
      accessSync(file, constants.X_OK)
      return file
    } catch {
      // not here (or not executable): keep looking, as a shell would
    }
  }
  return null
}

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads')
const { spawn } = require('node:child_process')
const { file, args, cwd, counter, port } = workerData
const cell = new Int32Array(counter)
const post = (message) => {
  port.postMessage(message)
  Atomics.add(cell, 0, 1)
  Atomics.notify(cell, 0)
}
process.on('uncaughtException', (e) => post({ type: 'error', message: String(e && e.message || e) }))
const stderr = []
let stderrSize = 0
let child
try {
  child = spawn(file, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] })
} catch (e) {
  post({ type: 'error', message: String(e && (e.code || e.message) || e) })
}
if (child) {
  child.on('error', (e) => post({ type: 'error', message: String(e.code || e.message) }))
  child.stdout.on('data', (d) => post({ type: 'data', bytes: d }))
  child.stdout.on('end', () => post({ type: 'end' }))
  child.stderr.on('data', (d) => {
    stderr.push(d)
    stderrSize += d.length
    while (stderrSize > 4096 && stderr.length > 1) stderrSize -= stderr.shift().length
  })
  child.stdin.on('error', () => {})
  child.on('close', (code, signal) => post({ type: 'exit', code, signal, stderr: Buffer.concat(stderr).toString('utf8').slice(-4096) }))
  port.on('message', (m) => {
    if (m.type === 'write') child.stdin.write(Buffer.from(m.bytes))
    else if (m.type === 'end') child.stdin.end()
    else if (m.type === 'kill') child.kill('SIGKILL')
  })
}
`

type WorkerMessage =
  | { type: 'data'; bytes: Uint8Array }
  | { type: 'end' }
  | { type: 'error'; message: string }
  | ({ type: 'exit' } & PluginExit)

/** How long a plugin may take to exit once its session is over, before it is killed. */
const EXIT_GRACE_MS = 5000

/** One plugin process, driven synchronously through a worker thread (see the top of this file). */
export class PluginProcess implements PluginChannel {
  private readonly worker: Worker
  private readonly port: MessagePort
  private readonly counter = new Int32Array(new SharedArrayBuffer(4))
  private readonly queue: Uint8Array[] = []
  private ended = false
  private exit: PluginExit | null = null
  private startError: string | null = null
  private closed: PluginExit | null = null

  /**
   * @param onSlow called once when the plugin has kept us waiting for 5 seconds (a key waiting
   *   for a touch, say), so the user is not left wondering.
   */
  constructor(
    readonly name: string,
    file: string,
    args: string[],
    private readonly onSlow?: () => void,
  ) {
    const { port1, port2 } = new MessageChannel()
    this.port = port1
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { file, args, cwd: tmpdir(), counter: this.counter.buffer, port: port2 },
      transferList: [port2],
      stdout: true,
      stderr: true,
    })
    // Neither may keep git-seal alive once it is done with the plugin.
    this.worker.unref()
    this.port.unref()
  }

  /** Takes what the worker posted; true when something arrived. */
  private drain(): boolean {
    let got = false
    for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) {
      got = true
      const message = m.message as WorkerMessage
      if (message.type === 'data') this.queue.push(message.bytes)
      else if (message.type === 'end') this.ended = true
      else if (message.type === 'error') {
        this.startError = message.message
        this.ended = true
        this.exit ??= { code: null, signal: null, stderr: '' }
      } else {
        this.ended = true
        this.exit = { code: message.code, signal: message.signal, stderr: message.stderr }
      }
    }
    return got
  }

  /** Blocks until the worker posts something (or `untilMs` passes); false on timeout. */
  private wait(untilMs = Infinity): boolean {
    let slowAt = Date.now() + 5000
    for (;;) {
      const seen = Atomics.load(this.counter, 0)
      if (this.drain()) return true
      const now = Date.now()
      if (now >= untilMs) return false
      if (now >= slowAt) {
        this.onSlow?.()
        slowAt = Infinity
      }
      Atomics.wait(this.counter, 0, seen, Math.max(1, Math.min(untilMs, slowAt) - now))
    }
  }

  /** @throws {PluginError} 'not-found' when the plugin could not be started. */
  private checkStarted(): void {
    if (this.startError !== null)
      throw new PluginError(
        this.name,
        'not-found',
        `age-plugin-${this.name} could not be started (${this.startError})`,
        `install age-plugin-${this.name} on PATH, or remove its identities and recipients`,
      )
  }

  send(bytes: Uint8Array): void {
    this.drain()
    this.checkStarted()
    if (this.ended) return // it stopped reading: receive() reports how it ended
    this.port.postMessage({ type: 'write', bytes })
  }

  /** @throws {PluginError} 'not-found' when the plugin could not be started. */
  receive(): Uint8Array | null {
    for (;;) {
      const next = this.queue.shift()
      if (next) return next
      if (this.ended) {
        this.checkStarted()
        return null
      }
      this.wait()
    }
  }

  close(): PluginExit {
    if (this.closed) return this.closed
    this.drain()
    if (!this.exit) {
      this.port.postMessage({ type: 'end' })
      const deadline = Date.now() + EXIT_GRACE_MS
      while (!this.exit && this.wait(deadline)) {}
      if (!this.exit) {
        this.port.postMessage({ type: 'kill' })
        const killed = Date.now() + 1000
        while (!this.exit && this.wait(killed)) {}
      }
    }
    this.queue.length = 0
    void this.worker.terminate().catch(() => {})
    this.port.close()
    this.closed = this.exit ?? { code: null, signal: 'SIGKILL', stderr: '' }
    return this.closed
  }
}

/**
 * Starts `age-plugin-NAME --age-plugin=STATE_MACHINE` from PATH.
 * @throws {PluginError} 'not-found' when no such executable is on PATH.
 */
export function launchPlugin(name: string, stateMachine: string, onSlow?: () => void): PluginChannel {
  const file = findPlugin(name)
  if (!file)
    throw new PluginError(
      name,
      'not-found',
      `age-plugin-${name} is not on PATH`,
      `install age-plugin-${name} (it serves the age1${name}1… recipients and AGE-PLUGIN-${name.toUpperCase()}-1… identities), or remove its keys`,
    )
  return new PluginProcess(name, file, [`--age-plugin=${stateMachine}`], onSlow)
}
