/**
 * Editing .gitseal.yaml in place for add-recipient / remove-recipient: through the yaml
 * library's document model, so comments and the order of everything else are kept.
 */
import { isMap, isSeq, parseDocument, type Document, type YAMLMap } from 'yaml'
import { UserError } from '../ui.js'

function load(text: string): Document {
  const doc = parseDocument(text)
  if (doc.errors.length) throw new UserError(`.gitseal.yaml does not parse: ${doc.errors[0]!.message.split('\n')[0]}`)
  return doc
}

/**
 * Adds a recipient to a group (creating the list, or the group, when missing).
 * @throws {UserError} when the name is already used in that group.
 */
export function addRecipient(text: string, group: string, role: 'admin' | 'target', name: string, key: string): string {
  const doc = load(text)
  if (!doc.hasIn(['groups', group])) doc.setIn(['groups', group], doc.createNode({ recipients: {}, secrets: {} }))
  const recipients = doc.getIn(['groups', group, 'recipients'])
  for (const list of ['admins', 'targets']) {
    const seq = isMap(recipients) ? recipients.get(list) : null
    if (isSeq(seq) && seq.items.some((item) => isMap(item) && item.get('name') === name)) {
      throw new UserError(`group ${group} already has a recipient named ${name}`)
    }
  }
  const path = ['groups', group, 'recipients', `${role}s`]
  const entry = doc.createNode({ name, key }) as YAMLMap
  const seq = doc.getIn(path)
  if (isSeq(seq)) seq.items.push(entry)
  else doc.setIn(path, doc.createNode([{ name, key }]))
  return doc.toString({ lineWidth: 0 })
}

/** Removes a recipient (from one group, or every group), and its mentions in secrets' lists. */
export function removeRecipient(text: string, name: string, group?: string): { text: string; removedFrom: string[] } {
  const doc = load(text)
  const groups = doc.get('groups')
  const removedFrom: string[] = []
  if (!isMap(groups)) return { text, removedFrom }
  for (const pair of groups.items) {
    const groupName = String((pair.key as { value?: unknown })?.value ?? pair.key)
    if (group !== undefined && groupName !== group) continue
    const g = pair.value
    if (!isMap(g)) continue
    const recipients = g.get('recipients')
    let removed = false
    for (const list of ['admins', 'targets']) {
      const seq = isMap(recipients) ? recipients.get(list) : null
      if (!isSeq(seq)) continue
      const before = seq.items.length
      seq.items = seq.items.filter((item) => !(isMap(item) && item.get('name') === name))
      if (seq.items.length !== before) removed = true
    }
    if (!removed) continue
    removedFrom.push(groupName)
    const secrets = g.get('secrets')
    if (!isMap(secrets)) continue
    for (const s of secrets.items) {
      if (!isMap(s.value)) continue
      for (const list of ['admins', 'targets']) {
        const seq = s.value.get(list)
        if (isSeq(seq)) seq.items = seq.items.filter((item) => !(item && typeof item === 'object' && 'value' in item && item.value === name))
      }
    }
  }
  return { text: removedFrom.length ? doc.toString({ lineWidth: 0 }) : text, removedFrom }
}
