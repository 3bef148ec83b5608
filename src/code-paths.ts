/**
 * The paths through the code a process took (cleaning, smudging, a SOPS document…), for the V8
 * code cache of the entry git started (src/startup/code-cache.ts). V8 caches the code of the
 * functions that ran before the cache was made: one made by a process that only cleaned lacks
 * the code that smudges, which every later checkout then compiled at its start (2-3 ms, about
 * 5% of a one-secret command). The loader puts a set on globalThis before it runs the program;
 * code that starts a path notes its name here; a cache that does not cover every path noted is
 * made again when the process exits, covering them all. Names only: never a path of a file.
 */
const SEEN = Symbol.for('git-seal.code-paths')

type WithPaths = { [SEEN]?: Set<string> }

/** Notes that this process took the path `name` (a no-op without a code-cached loader). */
export function noteCodePath(name: string): void {
  ;(globalThis as WithPaths)[SEEN]?.add(name)
}

const FLAGS_CHANGED = Symbol.for('git-seal.v8-flags-changed')

/**
 * Notes that this process changed V8's flags at run time (smudge.ts exposes the collector for
 * a large file): a cache it made would carry those flags, and the next start, without them,
 * would reject it. The loader then writes none.
 */
export function noteV8FlagsChanged(): void {
  ;(globalThis as { [FLAGS_CHANGED]?: boolean })[FLAGS_CHANGED] = true
}

/** True when {@link noteV8FlagsChanged} was called in this process. */
export function v8FlagsChanged(): boolean {
  return (globalThis as { [FLAGS_CHANGED]?: boolean })[FLAGS_CHANGED] === true
}

/** The set the program's notes go to, made now (the loader calls it before running the program). */
export function collectCodePaths(): Set<string> {
  const seen = new Set<string>()
  ;(globalThis as WithPaths)[SEEN] = seen
  return seen
}
