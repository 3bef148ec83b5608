/**
 * What a plugin may ask of the user (C2SP age-plugin.md, phase 2 of both state machines):
 * show a message (`msg`), ask yes/no (`confirm`), ask for a public value or a secret such as a
 * PIN (`request-public`, `request-secret`). One small interface, so tests drive it and the
 * terminal is only the default.
 *
 * The terminal is /dev/tty, never standard input or output: in a filter those carry git's
 * protocol. Without a terminal (CI, a GUI git client, an IDE) nothing can be asked: the plugin
 * gets `fail`, as the spec says, and the user gets one warning naming the plugin and what it
 * asked for, with a hint.
 */
import { spawnSync } from 'node:child_process'
import { closeSync, openSync, readSync, writeSync } from 'node:fs'

export interface PluginUI {
  /** Shows a message from the plugin (e.g. "touch your key"); false when it cannot be shown. */
  message(plugin: string, text: string): boolean
  /** Asks the user to pick `yes` or `no` (no `no`: just acknowledge); null when nobody can answer. */
  confirm(plugin: string, text: string, yes: string, no: string | undefined): boolean | null
  /** Asks for a value (a PIN when `secret`); null when nobody can answer. */
  requestValue(plugin: string, text: string, secret: boolean): string | null
  /** Tells the user about a plugin problem (never any key material). */
  warn(message: string, hint?: string): void
}

/** Plugin-supplied text, made safe to print: no control characters, bounded length. */
export function printable(text: string): string {
  const clean = text.replace(/[\x00-\x1f\x7f-\x9f]+/g, ' ').trim()
  return clean.length > 300 ? clean.slice(0, 300) + '…' : clean
}

function stderrLine(line: string): void {
  try {
    writeSync(2, line + '\n')
  } catch {
    // stderr closed: nobody is left to tell
  }
}

const NO_TERMINAL_HINT =
  'run the git command from a terminal (GUI git clients, IDEs and CI have none to answer a plugin on), or use a key that needs no PIN or confirmation there'

/**
 * The default UI: messages on standard error (like age's), questions on /dev/tty with echo
 * off for secrets. Each unanswerable question is reported once per plugin and kind.
 */
export class TerminalPluginUI implements PluginUI {
  private readonly reported = new Set<string>()

  constructor(private readonly tty: string = '/dev/tty') {}

  message(plugin: string, text: string): boolean {
    stderrLine(`git-seal: age-plugin-${plugin}: ${printable(text)}`)
    return true
  }

  confirm(plugin: string, text: string, yes: string, no: string | undefined): boolean | null {
    const question =
      no === undefined
        ? `${printable(text)} (press enter for "${printable(yes)}")`
        : `${printable(text)} (1 for "${printable(yes)}", 2 for "${printable(no)}")`
    for (let tries = 0; tries < 3; tries++) {
      const answer = this.ask(plugin, 'a confirmation', question, false)
      if (answer === null) return null
      if (no === undefined) return true
      if (answer.trim() === '1') return true
      if (answer.trim() === '2') return false
    }
    return null
  }

  requestValue(plugin: string, text: string, secret: boolean): string | null {
    return this.ask(plugin, secret ? 'a secret (PIN or passphrase)' : 'a value', printable(text), secret)
  }

  warn(message: string, hint?: string): void {
    stderrLine(`git-seal: warning: ${message}`)
    if (hint) stderrLine(`git-seal: hint: ${hint}`)
  }

  private ask(plugin: string, what: string, prompt: string, secret: boolean): string | null {
    let fd: number
    try {
      fd = openSync(this.tty, 'r+')
    } catch {
      const key = `${plugin}\0${what}`
      if (!this.reported.has(key)) {
        this.reported.add(key)
        this.warn(
          `age-plugin-${plugin} asks for ${what} ("${prompt}"), but there is no terminal to ask on`,
          NO_TERMINAL_HINT,
        )
      }
      return null
    }
    try {
      // Echo off while a secret is typed; best effort where stty exists.
      if (secret) spawnSync('stty', ['-echo'], { stdio: [fd, 'ignore', 'ignore'] })
      writeSync(fd, `git-seal: age-plugin-${plugin}: ${prompt} `)
      const buf = Buffer.alloc(1024)
      let answer = ''
      let ended = false
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, null)
        if (n <= 0) {
          ended = true
          break
        }
        answer += buf.subarray(0, n).toString('utf8')
        if (answer.includes('\n')) break
      }
      buf.fill(0)
      if (secret) writeSync(fd, '\n')
      // Ctrl-D before any answer: the user declined, which the plugin hears as `fail`.
      if (ended && answer === '') return null
      return answer.replace(/\r?\n[\s\S]*$/, '')
    } catch {
      return null
    } finally {
      if (secret) spawnSync('stty', ['echo'], { stdio: [fd, 'ignore', 'ignore'] })
      closeSync(fd)
    }
  }
}

let defaultUI: PluginUI = new TerminalPluginUI()

/** The UI plugins get unless one is given: the terminal. */
export function pluginUI(): PluginUI {
  return defaultUI
}

/** Replaces the default UI (tests; a future GUI prompt). Returns the previous one. */
export function setPluginUI(ui: PluginUI): PluginUI {
  const previous = defaultUI
  defaultUI = ui
  return previous
}
