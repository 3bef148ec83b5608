/**
 * Running a command with secrets in its environment (`git-seal exec PATH... -- CMD`, after
 * `sops exec-env` and `dotenvx run`): nothing is written to disk, the values reach the command
 * through its environment only.
 *
 * - Which values: the top-level entries of each file, read with the SOPS stores' own parsers
 *   (so a key means what it means to sops): dotenv keys as they are, YAML and JSON top-level
 *   scalars (numbers and booleans spelled as sops prints them). Nested maps and lists are
 *   skipped, and named, since an environment is flat (sops exec-env refuses the whole file for
 *   one). Later files override earlier ones, and the secrets override the inherited environment.
 * - Signals: SIGTERM, SIGHUP, SIGUSR1 and SIGUSR2 sent to git-seal are passed on to the command.
 *   SIGINT and SIGQUIT are passed on only when standard input is not a terminal: at a terminal,
 *   Ctrl-C and Ctrl-\ already reach the command (it is in the same foreground process group),
 *   and passing them on would deliver them twice (many tools take a second Ctrl-C as "quit
 *   now"). git-seal itself outlives them, and ends the way the command ended: its exit status,
 *   or the same signal.
 */
import { spawn } from 'node:child_process'
import { storeForPath } from '../formats/sops/index.js'
import { flatValue, parseDotenv } from '../formats/sops/dotenv.js'
import { parseJson } from '../formats/sops/json.js'
import { parseYaml } from '../formats/sops/yaml.js'
import type { ParsedStore } from '../formats/sops/engine.js'
import { SopsError } from '../formats/sops/index.js'
import type { SealContext } from '../seal/context.js'
import { UserError } from '../ui.js'
import { worktreePlaintext } from './show.js'

/** The variables a set of secret files gives, and what was left out. */
export interface SecretEnvironment {
  values: Map<string, string>
  /** top-level keys whose value is a map or a list, by file */
  skipped: { path: string; key: string }[]
}

/**
 * The top-level scalars of a plaintext document, as strings.
 * @throws {UserError} for a file that is not dotenv, YAML or JSON, does not parse, or has a key
 *   no environment can hold (empty, or with '=' or NUL); {UserError} for a value holding NUL.
 */
export function topLevelValues(path: string, plaintext: Uint8Array): { values: [string, string][]; skipped: string[] } {
  const store = storeForPath(path)
  if (store !== 'yaml' && store !== 'json' && store !== 'dotenv') {
    throw new UserError(
      `${path}: exec reads dotenv (.env), YAML and JSON files, and this is none of them`,
      "'git-seal show' prints any secret",
    )
  }
  let parsed: ParsedStore
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(plaintext)
    parsed = store === 'yaml' ? parseYaml(text) : store === 'json' ? parseJson(text) : parseDotenv(text)
  } catch (e) {
    const why = e instanceof SopsError ? e.message : 'not UTF-8 text'
    throw new UserError(`${path}: does not parse as ${store} (${why})`, `'git-seal edit ${path}' to fix it`)
  }
  const values: [string, string][] = []
  const skipped: string[] = []
  for (const slot of parsed.slots) {
    if (slot.kind !== 'value') continue
    const top = slot.display[0]
    if (typeof top !== 'string')
      throw new UserError(
        `${path}: the document is a list; exec needs a mapping of names to values`,
        `use 'git-seal show ${path}' to read it instead`,
      )
    if (slot.display.length > 1) {
      if (!skipped.includes(top)) skipped.push(top)
      continue
    }
    if (top === '' || top.includes('=') || top.includes('\0'))
      throw new UserError(
        `${path}: the key ${JSON.stringify(top)} cannot be an environment variable name`,
        'rename it (no "=", not empty)',
      )
    const value = flatValue(slot.value)
    if (value.includes('\0'))
      throw new UserError(
        `${path}: the value of ${top} holds a NUL byte, which no environment variable can`,
        `use 'git-seal show ${path}' to read it instead`,
      )
    values.push([top, value])
  }
  return { values, skipped }
}

/**
 * The environment the secrets at `paths` give (read from the work tree, decrypted when it holds
 * ciphertext); later files override earlier ones.
 * @throws {UserError} as {@link topLevelValues} and {@link worktreePlaintext} do.
 */
export function secretEnvironment(ctx: SealContext, paths: string[]): SecretEnvironment {
  const values = new Map<string, string>()
  const skipped: SecretEnvironment['skipped'] = []
  for (const path of paths) {
    const { plaintext, kind } = worktreePlaintext(ctx, path)
    const found = topLevelValues(path, plaintext)
    if (kind !== 'plaintext') plaintext.fill?.(0)
    for (const [key, value] of found.values) values.set(key, value)
    skipped.push(...found.skipped.map((key) => ({ path, key })))
  }
  return { values, skipped }
}

const ALWAYS_FORWARDED = ['SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const
const TERMINAL_SIGNALS = ['SIGINT', 'SIGQUIT'] as const

/** How the command ended. */
export type CommandExit =
  | { code: number }
  | { signal: NodeJS.Signals }
  | { notRun: 'not-found' | 'not-executable'; message: string }

/**
 * Runs `command` with `args` (no shell), standard streams shared, the inherited environment
 * plus `values`; passes signals on as described at the top of this file.
 * @returns how it ended (never rejects).
 */
export function runWithEnvironment(
  command: string,
  args: string[],
  values: Map<string, string>,
  options: { stdinIsTerminal: boolean },
): Promise<CommandExit> {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const [key, value] of values) env[key] = value
  const forwarded: NodeJS.Signals[] = [...ALWAYS_FORWARDED, ...(options.stdinIsTerminal ? [] : TERMINAL_SIGNALS)]
  const ignored: NodeJS.Signals[] = options.stdinIsTerminal ? [...TERMINAL_SIGNALS] : []
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit', env })
    const listeners = new Map<NodeJS.Signals, () => void>()
    for (const signal of forwarded) listeners.set(signal, () => void child.kill(signal))
    // The terminal delivers these to the command itself; git-seal waits for it to decide.
    for (const signal of ignored) listeners.set(signal, () => {})
    for (const [signal, listener] of listeners) process.on(signal, listener)
    const done = (exit: CommandExit): void => {
      for (const [signal, listener] of listeners) process.off(signal, listener)
      resolve(exit)
    }
    child.once('error', (e: NodeJS.ErrnoException) => {
      done({ notRun: e.code === 'ENOENT' ? 'not-found' : 'not-executable', message: e.message })
    })
    child.once('exit', (code, signal) => done(signal ? { signal } : { code: code ?? 1 }))
  })
}
