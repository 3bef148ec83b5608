/**
 * Background threads of the filter yield the CPU to the request path.
 *
 * Why: in a bulk `git add` or checkout, git and the filter's main thread take turns (a request,
 * an answer), and that chain of turns is the command's wall time. Beside it run the header worker
 * (src/age/prewrap.ts) and V8's own threads (optimizing compiles, concurrent GC: about 0.4 s of
 * CPU over 10,000 files). On two cores they compete with git and the main thread for the CPU;
 * measured (issue 16, target 4), git's own CPU grew by ~0.2 s next to git-seal's filter for the
 * same work. With those threads at a lower priority (nice 10) they take the time the chain
 * leaves idle instead: measured by hand, bulk add and checkout 5-8% faster at 1,000 secrets, add
 * 2-3% at 10,000.
 *
 * Only a scheduling hint: what the threads compute is unchanged, and where it cannot be set
 * (not Linux, no /proc) nothing happens. On Linux a thread is a task of its own, named by its
 * id under /proc/self/task, and setpriority(2) on that id sets that thread's nice value alone;
 * raising one's own nice value needs no privilege.
 */
import { readdirSync, readlinkSync } from 'node:fs'
import { setPriority } from 'node:os'

/** The nice value of background threads: below the request path, never starved on an idle core. */
export const BACKGROUND_NICE = 10

/**
 * Lowers every thread of this process but the main one (V8's compile and GC threads, and any
 * worker started so far). Threads started later keep the priority of the thread starting them.
 */
export function lowerBackgroundThreads(): void {
  try {
    for (const task of readdirSync('/proc/self/task')) {
      const tid = Number(task)
      if (tid !== process.pid) setPriority(tid, BACKGROUND_NICE)
    }
  } catch {
    // not Linux, or /proc is not mounted: the threads keep their priority
  }
}

/** Lowers the calling thread (a worker thread's first step). */
export function lowerThisThread(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop())
    if (Number.isInteger(tid) && tid !== process.pid) setPriority(tid, BACKGROUND_NICE)
  } catch {
    // as above
  }
}
