/** Writing new age key files the way age-keygen does, readable by the owner only. */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
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
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new UserError(`${file} already exists; git-seal never overwrites a key`, 'choose another path with -o FILE')
    throw e
  }
  return key
}
