/** Writing new age key files the way age-keygen does, readable by the owner only. */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { generateIdentity, identityToRecipient } from '../age/index.js'
import { UserError } from '../errors.js'

export interface NewKey {
  identity: string
  recipient: string
  text: string
}

export function newKey(now: Date = new Date()): NewKey {
  const identity = generateIdentity()
  const recipient = identityToRecipient(identity)
  const text = `# created: ${now.toISOString().replace(/\.\d+Z$/, 'Z')}\n# public key: ${recipient}\n${identity}\n`
  return { identity, recipient, text }
}

/**
 * Writes a new key file with mode 0600 (its directory 0700 when created).
 * @throws {UserError} when the file already exists: a key is never overwritten.
 */
export function writeNewKeyFile(file: string): NewKey {
  const key = newKey()
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  try {
    writeFileSync(file, key.text, { mode: 0o600, flag: 'wx' })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST')
      throw new UserError(`${file} already exists; git-seal never overwrites a key`, 'choose another path with -o FILE')
    throw e
  }
  return key
}

/**
 * The environment that makes every git-seal process of this run (the filter git starts
 * included) read one more identity file: an age key file (`SOPS_AGE_KEY_FILE`) or an OpenSSH
 * ed25519 private key (`SOPS_AGE_SSH_PRIVATE_KEY_FILE`), as `age -i` takes both.
 * @throws {UserError} when the file cannot be read.
 */
export function identityFileEnv(file: string, cwd: string = process.cwd()): Record<string, string> {
  const path = resolve(cwd, file)
  let text: string
  try {
    if (statSync(path).size > 1 << 20)
      throw new UserError(
        `${file} is not a key file (larger than 1 MiB)`,
        'give an age identity file (AGE-SECRET-KEY-1...) or an ssh private key',
      )
    text = readFileSync(path, 'latin1')
  } catch (e) {
    if (e instanceof UserError) throw e
    throw new UserError(
      `cannot read the identity file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      'give an age key file (AGE-SECRET-KEY-1… lines) or an ed25519 SSH private key',
    )
  }
  return text.includes('BEGIN OPENSSH PRIVATE KEY')
    ? { SOPS_AGE_SSH_PRIVATE_KEY_FILE: path }
    : { SOPS_AGE_KEY_FILE: path }
}
