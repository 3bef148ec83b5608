/**
 * A public key given on the command line (add-recipient, set-key): the key itself, or the path
 * of a file holding it (`id_ed25519.pub`, a `.pub` written by `age-keygen -y`, or a key file
 * whose `# public key:` comment names it). Checked here, so a malformed key is reported against
 * the argument the user typed, not against a config line git-seal would have written.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { classifyKey } from '../config/index.js'
import { UserError } from '../ui.js'

const KEY_HINT =
  'give an age recipient (age1…; `age-keygen -y KEYFILE` prints yours), an ssh-ed25519 public key, or the path of a .pub file holding one'

/** Larger files are not key files: refuse before reading them. */
const MAX_KEY_FILE_BYTES = 64 * 1024

/** The argument as shown in a message: never a private key, never more than a line's worth. */
function shown(arg: string): string {
  if (/^AGE-(SECRET|PLUGIN)-KEY-/i.test(arg.trim())) return 'the KEY argument'
  const t = arg.trim()
  return `KEY '${t.length > 40 ? `${t.slice(0, 37)}…` : t}'`
}

/** True when the argument names a file rather than spelling a key. */
function isPath(arg: string, cwd: string): boolean {
  const t = arg.trim()
  if (/^(age1|ssh-|AGE-)/i.test(t)) return false
  return t.endsWith('.pub') || t.includes('/') || existsSync(resolve(cwd, t))
}

/** The public key a key file holds: its first key line, or the `# public key:` comment of an age key file. */
function keyInFile(text: string, file: string): string {
  let privateKey = false
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '').trim()
    const comment = /^#\s*public key:\s*(\S+)/i.exec(line)
    if (comment) return comment[1]!
    if (line === '' || line.startsWith('#')) continue
    if (/^AGE-(SECRET|PLUGIN)-KEY-/i.test(line) || line.includes('PRIVATE KEY')) {
      privateKey = true
      continue
    }
    return line
      .split(/\s+/)
      .slice(0, line.startsWith('ssh-') ? 2 : 1)
      .join(' ')
  }
  if (privateKey)
    throw new UserError(
      `${file} holds a private key and no public one`,
      'give its public key: `age-keygen -y FILE` for an age key, FILE.pub for an SSH key',
    )
  throw new UserError(`${file} holds no public key`, KEY_HINT)
}

/**
 * The public key an argument stands for, checked.
 * @throws {UserError} naming the argument (or the file) when it is not a public key git-seal
 *   accepts, when the file cannot be read, or when it holds only a private key.
 */
export function resolveKeyArgument(arg: string, cwd: string = process.cwd()): string {
  let key = arg.trim()
  let where = shown(arg)
  if (isPath(arg, cwd)) {
    const file = resolve(cwd, key)
    try {
      if (statSync(file).size > MAX_KEY_FILE_BYTES)
        throw new UserError(`${key} is not a key file (larger than ${MAX_KEY_FILE_BYTES} bytes)`, KEY_HINT)
      key = keyInFile(readFileSync(file, 'utf8'), arg.trim())
    } catch (e) {
      if (e instanceof UserError) throw e
      throw new UserError(
        `cannot read the key file ${arg.trim()}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        KEY_HINT,
      )
    }
    where = `the key in ${arg.trim()}`
  }
  const kind = classifyKey(key)
  if ('problem' in kind) throw new UserError(`${where}: ${kind.problem}`, KEY_HINT)
  return key
}
