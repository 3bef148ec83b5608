/**
 * Private temporary directories: where git-seal puts plaintext on disk when a tool needs a
 * file (the merge driver's three versions for `git merge-file`; the file `git-seal edit` opens).
 *
 * - Created 0700 under the clone's state dir (never /tmp: other users, tmpfs quotas, cleaners),
 *   files inside 0600 ({@link writePrivateFile}). The one exception is the file an editor
 *   opens, which must lie outside the repository (editors leave swap and backup files next to
 *   it, and tools watching the work tree would see it): that goes under a per-user parent
 *   outside any repository ({@link userPrivateParent}), checked to be ours and 0700.
 * - Removed when the work is done, when the process exits, and on SIGINT, SIGTERM and SIGHUP
 *   (the signal is then raised again, so the caller still sees how the process ended).
 * - SIGKILL cannot be caught: each directory records its owner (pid, the process's start
 *   time, boot, host and pid namespace) in an `owner` file written before any plaintext, and
 *   {@link sweepPrivateDirs} removes a directory once that owner is gone. A pid alone is not
 *   enough: pids are reused, so on Linux the start time (field 22 of /proc/PID/stat) must
 *   match too. Linked worktrees and background git commands share the state dir and may be
 *   running a merge right now: a directory whose owner is alive, or cannot be judged from here
 *   (another host or pid namespace), is kept.
 */
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  lstatSync,
  writeFileSync,
} from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { isAbsolute, join } from 'node:path'
import { UserError } from '../errors.js'
import { LEGACY_PRIVATE_DIR, PRIVATE_DIR_PREFIX } from '../git/state-dir.js'

/** Every private directory starts with this, so a sweep never touches anything else. */
const PREFIX = PRIVATE_DIR_PREFIX
/** Directories of git-seal versions before owner records (`merge-XXXXXX`). */
const LEGACY = LEGACY_PRIVATE_DIR
const OWNER_FILE = 'owner'
/** A directory without a readable owner record is left alone this long (its creator may be writing it). */
const UNOWNED_GRACE_MS = 10 * 60_000
/** An owner on another host or in another pid namespace cannot be checked; after this long it is gone anyway. */
const FOREIGN_OWNER_MS = 24 * 60 * 60_000

/** Who created a directory: enough to tell, later, whether that process still runs. */
export interface Owner {
  pid: number
  /** start time in clock ticks since boot (Linux), null where it cannot be read */
  start: string | null
  boot: string | null
  host: string
  /** pid namespace (Linux), null elsewhere: the same pid means another process in another one */
  pidns: string | null
}

function readOrNull(read: () => string): string | null {
  try {
    return read()
  } catch {
    return null // not Linux, or /proc not mounted: callers fall back to kill(pid, 0)
  }
}

/**
 * The start time of a process from /proc/PID/stat (field 22, clock ticks since boot), or null
 * when there is no such process or no /proc. Fields are counted after the last ')': the command
 * name (field 2) may itself hold spaces and parentheses.
 */
export function processStartTime(pid: number): string | null {
  const stat = readOrNull(() => readFileSync(`/proc/${pid}/stat`, 'latin1'))
  if (stat === null) return null
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // fields[0] is field 3 (state), so field 22 is fields[19]
  return fields[19] ?? null
}

const hasProc = (): boolean => readOrNull(() => readFileSync('/proc/self/stat', 'latin1')) !== null

/** This process as an {@link Owner}. */
export function currentOwner(): Owner {
  return {
    pid: process.pid,
    start: processStartTime(process.pid),
    boot: readOrNull(() => readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim()),
    host: hostname(),
    pidns: readOrNull(() => readlinkSync('/proc/self/ns/pid')),
  }
}

/** alive | gone | unknown (another host or pid namespace: not ours to judge). */
export function ownerState(owner: Owner, here: Owner = currentOwner()): 'alive' | 'gone' | 'unknown' {
  if (owner.host !== here.host) return 'unknown'
  // Same host, another boot: every process of the earlier boot is gone.
  if (owner.boot !== null && here.boot !== null && owner.boot !== here.boot) return 'gone'
  if (owner.pidns !== here.pidns) return 'unknown'
  if (hasProc()) {
    const start = processStartTime(owner.pid)
    if (start === null) return 'gone'
    // A recorded start that differs: the pid now belongs to another process.
    return owner.start === null || owner.start === start ? 'alive' : 'gone'
  }
  try {
    process.kill(owner.pid, 0)
    return 'alive' // (or its pid was reused: keeping a stale directory longer is the safe mistake)
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH' ? 'gone' : 'alive'
  }
}

const live = new Set<string>()
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
let handlersInstalled = false

function removeLive(): void {
  for (const dir of live) rmSync(dir, { recursive: true, force: true })
  live.clear()
}

function installHandlers(): void {
  if (handlersInstalled) return
  handlersInstalled = true
  process.on('exit', removeLive)
  for (const signal of SIGNALS) {
    const onSignal = (): void => {
      removeLive()
      // Die of the same signal, as without this handler, so git sees how the driver ended.
      for (const s of SIGNALS) process.removeAllListeners(s)
      process.kill(process.pid, signal)
    }
    process.on(signal, onSignal)
  }
}

export interface PrivateDir {
  readonly path: string
  /** Removes the directory and everything in it; safe to call twice. */
  remove(): void
}

/**
 * Creates a 0700 directory `private-<purpose>-XXXXXX` under `parent` (which must exist),
 * recording its owner (this process; tests pass others) before anything else is written to it.
 * @throws {Error} when the directory or its owner record cannot be written.
 */
export function createPrivateDir(parent: string, purpose: string, owner: Owner = currentOwner()): PrivateDir {
  installHandlers()
  const path = mkdtempSync(join(parent, `${PREFIX}${purpose}-`)) // mkdtemp creates it 0700
  live.add(path)
  try {
    writeFileSync(join(path, OWNER_FILE), JSON.stringify(owner) + '\n', { mode: 0o600 })
  } catch (e) {
    rmSync(path, { recursive: true, force: true })
    live.delete(path)
    throw e
  }
  return {
    path,
    remove(): void {
      rmSync(path, { recursive: true, force: true })
      live.delete(path)
    },
  }
}

/** Writes a file only its owner may read (0600) inside a private directory. */
export function writePrivateFile(dir: PrivateDir, name: string, bytes: Uint8Array): string {
  const file = join(dir.path, name)
  writeFileSync(file, bytes, { mode: 0o600, flag: 'wx' })
  return file
}

function readOwner(dir: string): Owner | null {
  try {
    const owner = JSON.parse(readFileSync(join(dir, OWNER_FILE), 'utf8')) as Owner
    return Number.isInteger(owner.pid) && typeof owner.host === 'string' ? owner : null
  } catch {
    return null // missing (being created, or a legacy directory) or damaged: judged by age
  }
}

/**
 * Removes the private directories under `parent` whose owner is gone (killed with SIGKILL,
 * or a machine that rebooted). Never throws: a sweep is housekeeping.
 * @returns the names of the directories removed.
 */
export function sweepPrivateDirs(parent: string, now: number = Date.now()): string[] {
  const removed: string[] = []
  let names: string[]
  try {
    names = readdirSync(parent)
  } catch {
    return removed // no state dir yet: nothing to sweep
  }
  const here = currentOwner()
  for (const name of names) {
    if (!name.startsWith(PREFIX) && !LEGACY.test(name)) continue
    const dir = join(parent, name)
    try {
      const st = lstatSync(dir)
      if (!st.isDirectory()) continue
      const owner = readOwner(dir)
      const age = now - st.mtimeMs
      const state = owner ? ownerState(owner, here) : 'unknown'
      const gone = state === 'gone' || (state === 'unknown' && age > (owner ? FOREIGN_OWNER_MS : UNOWNED_GRACE_MS))
      if (!gone) continue
      rmSync(dir, { recursive: true, force: true })
      removed.push(name)
    } catch {
      // removed meanwhile by its owner or another sweep: nothing left to do
    }
  }
  return removed
}

/**
 * A directory for private directories outside any repository, only this user's: under
 * `$XDG_RUNTIME_DIR` (a per-user tmpfs, gone at logout) when it is set, else `git-seal-UID`
 * under the system temp dir. Created 0700 when missing. /tmp is shared, so an existing one is
 * used only when it is a real directory (not a link), owned by this user and closed to others:
 * someone else could have made it first to read what goes in.
 * @throws {UserError} when it exists and fails those checks; a system error when it cannot be created.
 */
export function userPrivateParent(env: NodeJS.ProcessEnv = process.env): string {
  const runtime = env['XDG_RUNTIME_DIR']
  const uid = process.getuid?.() ?? null
  const dir = runtime && isAbsolute(runtime) ? join(runtime, 'git-seal') : join(tmpdir(), `git-seal-${uid ?? 'user'}`)
  try {
    mkdirSync(dir, { mode: 0o700 })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
  }
  const st = lstatSync(dir)
  const hint = `remove ${dir} if you made it (git-seal makes it again, yours and 0700), or set XDG_RUNTIME_DIR to a directory only you can read`
  if (!st.isDirectory())
    throw new UserError(`${dir} is not a directory (a link, or a file): not a safe place for plaintext`, hint)
  if (uid !== null && st.uid !== uid)
    throw new UserError(`${dir} belongs to another user: not a safe place for plaintext`, hint)
  if ((st.mode & 0o077) !== 0)
    throw new UserError(
      `${dir} is open to other users (mode ${(st.mode & 0o777).toString(8)}): not a safe place for plaintext`,
      hint,
    )
  return dir
}
