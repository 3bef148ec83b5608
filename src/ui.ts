/**
 * Output rules for every git-seal message (after age's cmd/age/tui.go):
 *
 * - stdout belongs to git and to the filter protocol. Nothing here ever writes to it; commands
 *   that print results (status, recipients, keygen) use {@link printResult}.
 * - Every diagnostic goes to stderr, one line each, prefixed `git-seal: `, then a level:
 *   `error:` (the command failed), `warning:` (it carried on), `hint:` (what to do next,
 *   always after the error or warning it explains).
 * - Messages name files and keys, never secret values.
 * - Colour only when stderr is a TTY and NO_COLOR is unset; progress only on a TTY.
 * - `debug:` lines only when GIT_SEAL_DEBUG names their topic (comma-separated).
 */
import { writeSync, writevSync } from 'node:fs'
import { UserError, isExpectedFailure } from './errors.js'

// The error types live in errors.ts (a leaf every layer may import); commands import them from here too.
export { UsageError, UserError } from './errors.js'

const waitCell = new Int32Array(new SharedArrayBuffer(4))

// Asked when something is painted, not at load: touching process.stderr creates its stream
// (~0.5 ms of every filter start, which prints nothing when all goes well).
let colorOnStderr: boolean | undefined
const useColor = (): boolean => (colorOnStderr ??= process.stderr.isTTY === true && !process.env['NO_COLOR'])
const paint = (code: string, s: string): string => (useColor() ? `\x1b[${code}m${s}\x1b[0m` : s)

function line(s: string): void {
  // writeSync: messages must reach the terminal even when the process exits right after.
  try {
    writeSync(2, s + '\n')
  } catch {
    // stderr closed: nothing left to tell anyone.
  }
}

export function error(message: string, hint?: string): void {
  line(`git-seal: ${paint('31', 'error:')} ${message}`)
  if (hint) printHint(hint)
}

export function warning(message: string, hint?: string): void {
  line(`git-seal: ${paint('33', 'warning:')} ${message}`)
  if (hint) printHint(hint)
}

export function printHint(hint: string): void {
  for (const h of hint.split('\n')) line(`git-seal: ${paint('36', 'hint:')} ${h}`)
}

/** Internals for whoever set GIT_SEAL_DEBUG (tests, bug reports); never values or keys. */
export function debug(message: string): void {
  line(`git-seal: debug: ${message}`)
}

/** Informational progress for interactive commands (init, install, rekey); never used by filters. */
export function info(message: string): void {
  line(`git-seal: ${message}`)
}

/** Results of a command (status tables, JSON, a recipient): the only writer to stdout. */
export function printResult(text: string): void {
  writeSync(1, text.endsWith('\n') ? text : text + '\n')
}

/** True when results go to a terminal: only then are they aligned and coloured (never on a pipe). */
export function resultsOnTerminal(): boolean {
  return process.stdout.isTTY === true
}

const resultColor = (): boolean => resultsOnTerminal() && !process.env['NO_COLOR']

/** Colours a piece of a result (stdout) on a terminal, unless NO_COLOR is set; plain text elsewhere. */
export function tint(style: 'bad' | 'good' | 'warn' | 'dim' | 'bold', text: string): string {
  if (!resultColor()) return text
  const code = { bad: '31', good: '32', warn: '33', dim: '2', bold: '1' }[style]
  return `\x1b[${code}m${text}\x1b[0m`
}

/** The printed width of a string, without colour codes. */
function visibleLength(s: string): number {
  // eslint-disable-next-line no-control-regex
  return [...s.replace(/\x1b\[[0-9;]*m/g, '')].length
}

/**
 * Rows of a result: columns aligned with spaces on a terminal; tab-separated on a pipe, so
 * scripts split them as before.
 */
export function columns(rows: string[][], indent = ''): string[] {
  if (!resultsOnTerminal()) return rows.map((r) => indent + r.join('\t'))
  const widths: number[] = []
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell))
    })
  }
  return rows.map(
    (row) =>
      indent +
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i]! - visibleLength(cell))))
        .join('  ')
        .trimEnd(),
  )
}

/** The list of commands when none was given: on stderr, as a usage error's text (stdout stays empty). */
export function printUsageError(text: string): void {
  line(text)
}

/** A path as one shell word, for a command a hint tells the user to run (quoted only when it must be). */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) && !word.startsWith('-') ? word : `'${word.replace(/'/g, `'\\''`)}'`
}

/** The command that re-stages `paths` through the clean filter, even when git thinks them unchanged. */
export function renormalizeCommand(paths: readonly string[]): string {
  return `git add --renormalize -- ${paths.map(shellWord).join(' ')}`
}

/** "a, b, c, …" for messages naming files. */
export function someNames(paths: string[], max = 5): string {
  return paths.slice(0, max).join(', ') + (paths.length > max ? ', …' : '')
}

/** What a bug's report says to do (errors.ts: exit 70). */
export const BUG_HINT =
  'this is a bug in git-seal: please report it, with the output of the same command run with GIT_SEAL_DEBUG=1'

/**
 * Reports any thrown value the same way: user errors and failures of the world with their hint,
 * anything else as the bug it is (with its stack when GIT_SEAL_DEBUG is set).
 */
export function reportError(e: unknown): void {
  if (e instanceof UserError) error(e.message, e.hint)
  else if (isExpectedFailure(e)) error((e as Error).message, (e as { hint?: string }).hint)
  else if (e instanceof Error)
    error(e.message, process.env['GIT_SEAL_DEBUG'] ? `${BUG_HINT}\n${e.stack ?? ''}` : BUG_HINT)
  else error(String(e), BUG_HINT)
}

/** A progress line redrawn in place, on a TTY only. */
export function progress(label: string, done: number, total: number): void {
  if (!process.stderr.isTTY) return
  const width = 24
  const filled = total === 0 ? width : Math.round((done / total) * width)
  const bar = '#'.repeat(filled) + '-'.repeat(width - filled)
  try {
    writeSync(2, `\rgit-seal: ${label} [${bar}] ${done}/${total}${done === total ? '\n' : ''}`)
  } catch {
    // stderr closed: progress is a courtesy, never a reason to fail.
  }
}

/**
 * Writes all of `bytes` to a file descriptor (git's protocol or a filter's output on fd 1),
 * waiting out EAGAIN when the peer left the pipe non-blocking.
 */
export function writeAllSync(fd: number, bytes: Uint8Array): void {
  writeAllvSync(fd, [bytes])
}

/** Writes all pieces to a file descriptor with as few system calls as possible (writev). */
export function writeAllvSync(fd: number, parts: Uint8Array[]): void {
  const pending = parts.filter((p) => p.length > 0)
  while (pending.length > 0) {
    let written: number
    try {
      // writev takes at most IOV_MAX (1024 on Linux) pieces at a time
      written = writevSync(fd, pending.slice(0, 1024))
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e
      Atomics.wait(waitCell, 0, 0, 1)
      continue
    }
    while (written > 0 && pending.length > 0) {
      const first = pending[0]!
      if (written >= first.length) {
        written -= first.length
        pending.shift()
      } else {
        pending[0] = first.subarray(written)
        written = 0
      }
    }
  }
}
