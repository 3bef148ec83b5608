/**
 * Asking for a passphrase on the terminal. stdin carries git's protocol, so the question goes to
 * /dev/tty; each prompt is asked at most once per process; with no terminal it fails with a hint.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { UserError } from '../errors.js'

const answers = new Map<string, string>()

/**
 * @throws {UserError} when there is no terminal to ask on.
 */
export function askPassphrase(prompt: string): string {
  const known = answers.get(prompt)
  if (known !== undefined) return known
  let fd: number
  try {
    fd = openSync('/dev/tty', 'r+')
  } catch {
    throw new UserError(
      `${prompt}: no terminal to ask for it`,
      'use SOPS_AGE_KEY_CMD to supply the key from a password manager, or an unencrypted key file',
    )
  }
  try {
    // Turn echo off while typing; best effort where stty exists.
    spawnSync('stty', ['-echo'], { stdio: [fd, 'ignore', 'ignore'] })
    writeSync(fd, `git-seal: ${prompt}: `)
    const buf = Buffer.alloc(1024)
    let answer = ''
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null)
      if (n <= 0) break
      answer += buf.subarray(0, n).toString('utf8')
      if (answer.includes('\n')) break
    }
    writeSync(fd, '\n')
    answer = answer.replace(/\r?\n.*$/s, '')
    answers.set(prompt, answer)
    return answer
  } finally {
    spawnSync('stty', ['echo'], { stdio: [fd, 'ignore', 'ignore'] })
    closeSync(fd)
  }
}
