/**
 * `git-seal add-recipient NAME [KEY] --group G (--admin|--target)`: edits .gitseal.yaml in place
 * (keeping its comments and layout), rewrites .gitattributes, then rekeys what changed.
 */
import { resolveKeyArgument } from '../operations/key-argument.js'
import { addRecipientToGroup } from '../operations/recipients.js'
import { UsageError } from '../errors.js'
import { printConfigChange } from './output/rekey.js'

export async function run({
  values,
  positionals,
}: {
  values: { group?: string; admin?: boolean; target?: boolean }
  positionals: string[]
}): Promise<number> {
  const [name, ...keyParts] = positionals
  if (!name || !values.group || values.admin === values.target) {
    throw new UsageError(
      !values.group
        ? 'missing option --group'
        : values.admin
          ? 'give one of --admin and --target, not both'
          : 'missing option --admin or --target',
    )
  }
  const key = keyParts.length > 0 ? resolveKeyArgument(keyParts.join(' ')) : null
  const role = values.admin ? 'admin' : 'target'
  return printConfigChange(await addRecipientToGroup(values.group, role, name, key))
}
