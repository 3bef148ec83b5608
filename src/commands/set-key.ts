/**
 * `git-seal set-key NAME NEWKEY`: replaces a person's or host's key everywhere the config holds
 * it (their `people:` entry, or inline entries of that name in every group), then rekeys what
 * they can read. NEWKEY may be the path of a .pub file.
 */
import { resolveKeyArgument } from '../operations/key-argument.js'
import { replaceKey } from '../operations/recipients.js'
import { warning } from '../ui.js'
import { UsageError } from '../errors.js'
import { printConfigChange } from './output/rekey.js'

export async function run({ positionals }: { positionals: string[] }): Promise<number> {
  const [name, ...keyParts] = positionals
  if (!name || keyParts.length === 0)
    throw new UsageError(
      'missing argument NEWKEY',
      'NEWKEY: an age1… recipient, an ssh-ed25519 key, or the path of a .pub file',
    )
  const key = resolveKeyArgument(keyParts.join(' '))
  const { change, oldKeys, keyChanged } = await replaceKey(name, key)
  const code = printConfigChange(change)
  if (!keyChanged) return code // the same key again: nothing was exposed
  warning(
    `${name}'s old key still opens every version encrypted to it until now`,
    `if it was lost or stolen, rotate the values it could read: 'git-seal audit ${oldKeys[0] ?? name}' lists them`,
  )
  return code
}
