/**
 * Node built-ins the filter's entries load only when they are used (scripts/build.mjs aliases
 * `node:worker_threads`, `node:zlib`, `node:child_process`, `node:os` and `node:v8` here for
 * dist/hot.body.js and dist/textconv.body.js): a start that smudges or cleans one secret often
 * needs none of them (no header made ahead on a worker, no loose object read, no git child when
 * the attributes and HEAD are read from files, no V8 flag set, HOME set), and loading them cost
 * every start 0.1-2 ms each. Only the names git-seal uses; a new one fails the build until it
 * is added here.
 * process.getBuiltinModule (Node >= 20.16; git-seal needs 20.19) loads without `require`.
 */
import type * as ChildProcess from 'node:child_process'
import type * as Os from 'node:os'
import type * as V8 from 'node:v8'
import type * as WorkerThreads from 'node:worker_threads'
import type * as Zlib from 'node:zlib'

const workerThreads = (): typeof WorkerThreads => process.getBuiltinModule('node:worker_threads')
const zlib = (): typeof Zlib => process.getBuiltinModule('node:zlib')
const childProcess = (): typeof ChildProcess => process.getBuiltinModule('node:child_process')
const os = (): typeof Os => process.getBuiltinModule('node:os')
const v8 = (): typeof V8 => process.getBuiltinModule('node:v8')

// Classes: `new Worker(…)` calls this function, whose returned object is the instance.
// biome-ignore lint/complexity/useArrowFunction: called with `new`, which an arrow function cannot be
export const Worker = function (...args: ConstructorParameters<typeof WorkerThreads.Worker>) {
  return new (workerThreads().Worker)(...args)
} as unknown as typeof WorkerThreads.Worker
// biome-ignore lint/complexity/useArrowFunction: called with `new`, which an arrow function cannot be
export const MessageChannel = function () {
  return new (workerThreads().MessageChannel)()
} as unknown as typeof WorkerThreads.MessageChannel
export const receiveMessageOnPort = ((port: WorkerThreads.MessagePort) =>
  workerThreads().receiveMessageOnPort(port)) as typeof WorkerThreads.receiveMessageOnPort
export const inflateSync = ((...args: Parameters<typeof Zlib.inflateSync>) =>
  zlib().inflateSync(...args)) as typeof Zlib.inflateSync
export const deflateSync = ((...args: Parameters<typeof Zlib.deflateSync>) =>
  zlib().deflateSync(...args)) as typeof Zlib.deflateSync
export const spawn = ((...args: Parameters<typeof ChildProcess.spawn>) =>
  childProcess().spawn(...args)) as typeof ChildProcess.spawn
export const spawnSync = ((...args: Parameters<typeof ChildProcess.spawnSync>) =>
  childProcess().spawnSync(...args)) as typeof ChildProcess.spawnSync
export const execFileSync = ((...args: Parameters<typeof ChildProcess.execFileSync>) =>
  childProcess().execFileSync(...args)) as typeof ChildProcess.execFileSync
export const setFlagsFromString = ((flags: string) => v8().setFlagsFromString(flags)) as typeof V8.setFlagsFromString
export const availableParallelism = (() => os().availableParallelism()) as typeof Os.availableParallelism
export const tmpdir = (() => os().tmpdir()) as typeof Os.tmpdir
export const homedir = (() => os().homedir()) as typeof Os.homedir
export const hostname = (() => os().hostname()) as typeof Os.hostname
export const userInfo = ((...args: Parameters<typeof Os.userInfo>) => os().userInfo(...args)) as typeof Os.userInfo
export const setPriority = ((pid: number, priority: number) => os().setPriority(pid, priority)) as typeof Os.setPriority
