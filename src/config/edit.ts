/**
 * Editing .gitseal.yaml in place for add-recipient / remove-recipient. Edits are made on the
 * text, at positions the yaml parser reports, so every comment and the layout of everything
 * else stay byte for byte; only shapes too rare to be worth it (flow-style lists) go through
 * the library's printer, which keeps comments but may move them.
 */
import { isMap, isScalar, isSeq, parseDocument, type Document, type Node, type YAMLSeq } from 'yaml'
import { UserError } from '../errors.js'

function load(text: string): Document {
  const doc = parseDocument(text)
  if (doc.errors.length) throw new UserError(`.gitseal.yaml does not parse: ${doc.errors[0]!.message.split('\n')[0]}`)
  return doc
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1
}

function lineEnd(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset)
  return nl < 0 ? text.length : nl + 1
}

function yamlString(s: string): string {
  return /^[\w.@+-][\w .@+/=:-]*$/.test(s) && !/[:]\s|\s$|^(true|false|null|yes|no|~)$/i.test(s) ? s : JSON.stringify(s)
}

/** The names of the config's groups, in file order. */
function groupNames(doc: Document): string[] {
  const groups = doc.get('groups', true)
  return isMap(groups) ? groups.items.map((pair) => (isScalar(pair.key) ? String(pair.key.value) : String(pair.key))) : []
}

/**
 * Adds a recipient to an existing group (creating its admins or targets list when missing).
 * A group is never created here: one without secrets would give the recipient nothing, and a
 * mistyped name would silently start a new group instead of widening the intended one.
 * @throws {UserError} when the group does not exist (naming those that do), or the name is
 *   already used in that group.
 */
export function addRecipient(text: string, group: string, role: 'admin' | 'target', name: string, key: string): string {
  const doc = load(text)
  const groups = groupNames(doc)
  if (!groups.includes(group)) {
    throw new UserError(
      `.gitseal.yaml has no group named ${JSON.stringify(group)}`,
      groups.length > 0 ? `pick one of its groups (${groups.join(', ')}), or add the group with its secrets to .gitseal.yaml first` : 'add a group with its secrets to .gitseal.yaml first',
    )
  }
  const recipients = doc.getIn(['groups', group, 'recipients'], true)
  for (const list of ['admins', 'targets']) {
    const seq = isMap(recipients) ? recipients.get(list, true) : null
    if (isSeq(seq) && seq.items.some((item) => isMap(item) && item.get('name') === name)) {
      throw new UserError(`group ${group} already has a recipient named ${name}`)
    }
  }
  const seq = isMap(recipients) ? recipients.get(`${role}s`, true) : null
  if (isSeq(seq) && !seq.flow && seq.items.length > 0 && seq.range) {
    // Block list: insert after its last item, indented like it.
    const last = seq.items.at(-1) as Node
    const dash = lineStart(text, (last.range ?? seq.range)[0])
    const indent = text.slice(dash, text.indexOf('-', dash))
    const at = lineEnd(text, Math.max(dash, (last.range![1] ?? last.range![0]) - 1))
    const nl = text.includes('\r\n') ? '\r\n' : '\n'
    const entry = `${indent}- name: ${yamlString(name)}${nl}${indent}  key: ${yamlString(key)}${nl}`
    return text.slice(0, at) + (at > 0 && text[at - 1] !== '\n' ? nl : '') + entry + text.slice(at)
  }
  // No list yet (or a flow one): let the library print it.
  const path = ['groups', group, 'recipients', `${role}s`]
  const existing = doc.getIn(path, true)
  if (isSeq(existing)) existing.items.push(doc.createNode({ name, key }))
  else doc.setIn(path, doc.createNode([{ name, key }]))
  return doc.toString({ lineWidth: 0 })
}

/** Removes a recipient (from one group, or every group), and its mentions in secrets' lists. */
export function removeRecipient(text: string, name: string, group?: string): { text: string; removedFrom: string[] } {
  const doc = load(text)
  const groups = doc.get('groups', true)
  const removedFrom: string[] = []
  const cuts: [number, number][] = []
  let needsPrinter = false
  if (!isMap(groups)) return { text, removedFrom }
  for (const pair of groups.items) {
    const groupName = isScalar(pair.key) ? String(pair.key.value) : String(pair.key)
    if (group !== undefined && groupName !== group) continue
    const g = pair.value
    if (!isMap(g)) continue
    const recipients = g.get('recipients', true)
    let removed = false
    for (const list of ['admins', 'targets']) {
      const seq = isMap(recipients) ? recipients.get(list, true) : null
      if (!isSeq(seq)) continue
      for (const item of seq.items) {
        if (!(isMap(item) && item.get('name') === name)) continue
        removed = true
        if (seq.flow || !item.range) needsPrinter = true
        else cuts.push([lineStart(text, item.range[0]), lineEnd(text, Math.max(item.range[0], item.range[1] - 1))])
      }
      seq.items = seq.items.filter((item) => !(isMap(item) && item.get('name') === name))
      if (seq.items.length === 0) needsPrinter = true
    }
    if (!removed) continue
    removedFrom.push(groupName)
    const secrets = g.get('secrets', true)
    if (!isMap(secrets)) continue
    for (const s of secrets.items) {
      if (!isMap(s.value)) continue
      for (const list of ['admins', 'targets']) {
        const seq = s.value.get(list, true) as YAMLSeq | undefined
        if (!isSeq(seq)) continue
        const kept = seq.items.filter((item) => !(isScalar(item) && item.value === name))
        if (kept.length !== seq.items.length) {
          seq.items = kept
          needsPrinter = true
        }
      }
    }
  }
  if (removedFrom.length === 0) return { text, removedFrom }
  if (needsPrinter) return { text: doc.toString({ lineWidth: 0 }), removedFrom }
  let out = text
  for (const [start, end] of cuts.sort((a, b) => b[0] - a[0])) out = out.slice(0, start) + out.slice(end)
  return { text: out, removedFrom }
}
