/**
 * Headers made ahead on a second thread. git and the filter take turns (a request, an answer),
 * so while git hashes and writes one object the filter waits, and a second core sits idle. A
 * worker thread fills that time making the headers of the next files (prepared.ts); the
 * request path takes one ready-made, or makes it inline when none is ready. The output is the
 * same age file either way: only where the X25519 work happens changes.
 *
 * - The worker starts only after a few headers were asked for (a `git add` of one file never
 *   pays for it), only with two or more cores, and only when its bundle is found next to ours.
 * - The main thread never waits for it: messages are pulled with receiveMessageOnPort between
 *   requests (the filter's request loop blocks in readSync, so no event loop would deliver them).
 * - A worker that fails to start, or to wrap, changes nothing but speed.
 */
import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads'
import { isPluginRecipient } from './plugin/encoding.js'
import { PluginHeaderSupply } from './plugin/headers.js'
import { prepareHeader, unpackPrepared, type PreparedHeader } from './prepared.js'
import type { Recipient } from './types.js'

/** How many headers of one set to keep ready or on their way. */
const LOW_WATER = 48
const REFILL = 96
const WAIT_CELL = new Int32Array(new SharedArrayBuffer(4))

interface SetState {
  ready: PreparedHeader[]
  inFlight: number
  failed: boolean
}

export interface HeaderSupplyOptions {
  /** the worker's bundle (dist/prewrap-worker.mjs); no worker when null or missing */
  workerFile: string | null
  /** headers asked for before the worker starts */
  startAfter?: number
  /** tests only: wait (up to 10 s) for the worker instead of making a header inline */
  waitForWorker?: boolean
}

export class HeaderSupply {
  private worker: Worker | null = null
  private port: MessagePort | null = null
  private readonly sets = new Map<string, SetState>()
  private asked = 0
  private started = false
  /** headers taken ready-made, and made inline (for tests and `GIT_SEAL_DEBUG`) */
  readonly counts = { ahead: 0, inline: 0 }
  /** sets with plugin recipients: their file keys are wrapped ahead here, never on the worker */
  readonly plugins = new PluginHeaderSupply()

  constructor(private readonly options: HeaderSupplyOptions) {}

  /**
   * A header for `recipients` (named by their text forms, `keys`; parsed only when made inline), used for exactly one file.
   * @throws {AgeError} as {@link prepareHeader} does, when it has to make one inline;
   *   {PluginError} when a plugin recipient's plugin is missing, fails or refuses it.
   */
  take(keys: string[], recipients: () => Recipient[]): PreparedHeader {
    // A plugin may prompt, and runs as a process of its own: its sessions belong to this
    // thread, batched by the plugin supply, never to the worker.
    if (keys.some(isPluginRecipient)) return this.plugins.take(keys.join('\n'), recipients())
    this.asked++
    if (!this.started && this.asked > (this.options.startAfter ?? 8)) this.start()
    const id = keys.join('\n')
    let state = this.sets.get(id)
    if (!state) {
      state = { ready: [], inFlight: 0, failed: false }
      this.sets.set(id, state)
    }
    this.receive()
    if (this.port && !state.failed && state.ready.length + state.inFlight < LOW_WATER) {
      this.port.postMessage({ set: id, recipients: keys, count: REFILL })
      state.inFlight += REFILL
    }
    if (this.options.waitForWorker && !state.failed) {
      for (let waited = 0; this.port && state.ready.length === 0 && !state.failed && waited < 10_000; waited++) {
        Atomics.wait(WAIT_CELL, 0, 0, 1)
        this.receive()
      }
    }
    const ready = state.ready.shift()
    if (ready) {
      this.counts.ahead++
      return ready
    }
    this.counts.inline++
    return prepareHeader(recipients())
  }

  private start(): void {
    this.started = true
    const file = this.options.workerFile
    if (!file || !existsSync(file) || availableParallelism() < 2) return
    try {
      const { port1, port2 } = new MessageChannel()
      this.worker = new Worker(file, { workerData: { port: port2 }, transferList: [port2], stdout: true, stderr: true })
      // Neither may keep the process alive once git closes the stream.
      this.worker.unref()
      this.worker.on('error', () => this.stop())
      port1.unref()
      this.port = port1
    } catch {
      this.stop()
    }
  }

  private receive(): void {
    if (!this.port) return
    for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) {
      const message = m.message as { set: string; data?: ArrayBuffer; sizes?: number[]; failed?: boolean }
      const state = this.sets.get(message.set)
      if (!state) continue
      if (message.failed) {
        state.failed = true
        state.inFlight = 0
        continue
      }
      const items = unpackPrepared(message.data!, message.sizes!)
      state.inFlight = Math.max(0, state.inFlight - items.length)
      state.ready.push(...items)
    }
  }

  private stop(): void {
    this.port = null
    const worker = this.worker
    this.worker = null
    void worker?.terminate().catch(() => {})
  }

  /** Stops the worker and wipes the payload keys of headers never used. */
  close(): void {
    this.plugins.close()
    this.stop()
    for (const state of this.sets.values()) for (const item of state.ready) item.payloadKey.fill(0)
    this.sets.clear()
  }
}
