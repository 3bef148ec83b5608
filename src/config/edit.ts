/**
 * Editing .gitseal.yaml in place for add-recipient, remove-recipient and set-key. Every edit is
 * made on the text, at positions the yaml parser reports, in the style of the collection it
 * touches (a flow list `[ci]` stays a flow list, a block list gets a block item indented like
 * its neighbours): comments and the layout of everything else stay byte for byte, and only the
 * changed lines differ. The library's printer is never used (it re-flows flow lists and moves
 * comments).
 */
import {
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  type Document,
  type Node,
  type Pair,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml'
import { UserError } from '../errors.js'
import { keyWithoutComment } from './keys.js'

function load(text: string): Document {
  const doc = parseDocument(text)
  if (doc.errors.length)
    throw new UserError(
      `.gitseal.yaml does not parse: ${doc.errors[0]!.message.split('\n')[0]}`,
      'fix .gitseal.yaml by hand first (git-seal edits it in place and keeps everything else as written)',
    )
  return doc
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1
}

function lineEnd(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset)
  return nl < 0 ? text.length : nl + 1
}

/** A scalar as YAML: plain when it reads back as the same string, else double-quoted. */
export function yamlString(s: string): string {
  return /^[\w.@+-][\w .@+/=:-]*$/.test(s) &&
    !/[:]\s|\s$|^(true|false|null|yes|no|on|off|~)$/i.test(s) &&
    !/^[-+]?[\d.]/.test(s)
    ? s
    : JSON.stringify(s)
}

/** Text replacements collected against the original text, applied from the end. */
class Edits {
  private readonly list: { start: number; end: number; text: string }[] = []
  constructor(private readonly source: string) {}

  replace(start: number, end: number, text: string): void {
    this.list.push({ start, end, text })
  }

  insert(at: number, text: string): void {
    this.replace(at, at, text)
  }

  get size(): number {
    return this.list.length
  }

  apply(): string {
    let out = this.source
    // Stable for equal starts: an insertion registered first stays first.
    const sorted = this.list.map((e, i) => ({ ...e, i })).sort((a, b) => b.start - a.start || b.i - a.i)
    for (const e of sorted) out = out.slice(0, e.start) + e.text + out.slice(e.end)
    return out
  }
}

const newline = (text: string): string => (text.includes('\r\n') ? '\r\n' : '\n')

/** The column of a node's first character. */
function column(text: string, offset: number): number {
  return offset - lineStart(text, offset)
}

/** The offset just after the `:` that ends a block mapping key. */
function afterColon(text: string, pair: Pair): number {
  const key = pair.key as Node
  const colon = text.indexOf(':', key.range![1])
  return colon + 1
}

/**
 * Appends an item to a sequence, in its own style. `block` is the item's text in block style
 * (lines after the first are indented relative to the dash), `flow` in flow style.
 */
function appendToSeq(text: string, edits: Edits, seq: YAMLSeq, block: string[], flow: string): void {
  const nl = newline(text)
  if (seq.flow) {
    const last = seq.items.at(-1) as Node | undefined
    if (last?.range) edits.insert(last.range[1], `, ${flow}`)
    else edits.insert(seq.range![0] + 1, flow)
    return
  }
  const lastItem = seq.items.at(-1) as Node
  const dash = lineStart(text, lastItem.range![0])
  const indent = text.slice(dash, text.indexOf('-', dash))
  const at = lineEnd(text, Math.max(dash, lastItem.range![1] - 1))
  const lines = block.map((l, i) => (i === 0 ? `${indent}- ${l}` : `${indent}  ${l}`))
  edits.insert(at, (at > 0 && text[at - 1] !== '\n' ? nl : '') + lines.join(nl) + nl)
}

/**
 * Adds `key: <list of one item>` to a mapping that lacks it, in the mapping's style. For an
 * empty value (`recipients:` with nothing after it) the key goes on the next line, indented
 * two more than `parentColumn`.
 */
function addListToMap(
  text: string,
  edits: Edits,
  map: YAMLMap | null,
  holder: { pair: Pair; parentColumn: number } | null,
  key: string,
  block: string[],
  flow: string,
): void {
  const nl = newline(text)
  if (map?.flow) {
    const last = map.items.at(-1)
    const lastEnd = last ? ((last.value as Node | null)?.range?.[1] ?? (last.key as Node).range![1]) : null
    if (lastEnd !== null) edits.insert(lastEnd, `, ${key}: [${flow}]`)
    else edits.insert(map.range![0] + 1, `${key}: [${flow}]`)
    return
  }
  let indent: string
  let at: number
  if (map && map.items.length > 0) {
    const firstKey = map.items[0]!.key as Node
    indent = ' '.repeat(column(text, firstKey.range![0]))
    const last = map.items.at(-1)!
    const end = (last.value as Node | null)?.range?.[1] ?? (last.key as Node).range![1]
    // A block value's range ends after its last newline; a scalar's at its last character.
    at = text[end - 1] === '\n' ? end : lineEnd(text, end)
  } else if (holder) {
    indent = ' '.repeat(holder.parentColumn + 2)
    at = lineEnd(text, afterColon(text, holder.pair))
  } else {
    throw new UserError('.gitseal.yaml has a shape git-seal does not edit here', 'make the change by hand')
  }
  const lines = [`${indent}${key}:`, ...block.map((l, i) => (i === 0 ? `${indent}  - ${l}` : `${indent}    ${l}`))]
  edits.insert(at, (at > 0 && text[at - 1] !== '\n' ? nl : '') + lines.join(nl) + nl)
}

/**
 * Removes one item of a sequence. A flow item takes its comma with it; a block item its lines.
 * A sequence left empty is written `[]`, so the key still holds a list.
 */
function removeFromSeq(
  text: string,
  edits: Edits,
  pair: Pair | null,
  seq: YAMLSeq,
  index: number,
  remaining: number,
): void {
  const item = seq.items[index] as Node
  if (seq.flow) {
    const next = seq.items[index + 1] as Node | undefined
    const previous = seq.items[index - 1] as Node | undefined
    if (next?.range) edits.replace(item.range![0], next.range[0], '')
    else if (previous?.range) edits.replace(previous.range[1], item.range![1], '')
    else edits.replace(item.range![0], item.range![1], '')
    return
  }
  const start = lineStart(text, item.range![0])
  edits.replace(start, lineEnd(text, Math.max(start, item.range![1] - 1)), '')
  if (remaining === 0 && pair) edits.insert(afterColon(text, pair), ' []')
}

function groupNames(doc: Document): string[] {
  const groups = doc.get('groups', true)
  return isMap(groups)
    ? groups.items.map((pair) => (isScalar(pair.key) ? String(pair.key.value) : String(pair.key)))
    : []
}

function pairOf(map: unknown, key: string): Pair | null {
  if (!isMap(map)) return null
  return (map.items.find((p) => isScalar(p.key) && p.key.value === key) as Pair | undefined) ?? null
}

/** The name an item of a recipients list stands for: a person's name, or an inline entry's. */
function itemName(item: unknown): string | null {
  if (isScalar(item)) return typeof item.value === 'string' ? item.value : null
  if (isMap(item)) {
    const name = item.get('name')
    return typeof name === 'string' ? name : null
  }
  return null
}

/** The `people:` list's entries: name, key, and the key's scalar node. */
function peopleEntries(doc: Document): {
  seq: YAMLSeq | null
  pair: Pair | null
  entries: { name: string; key: string; keyNode: Node | null }[]
} {
  const pair = pairOf(doc.contents, 'people')
  const seq = pair && isSeq(pair.value) ? (pair.value as YAMLSeq) : null
  const entries = (seq?.items ?? []).flatMap((item) => {
    if (!isMap(item)) return []
    const name = item.get('name')
    const keyNode = item.get('key', true) as Node | undefined
    return typeof name === 'string'
      ? [{ name, key: isScalar(keyNode) ? String(keyNode.value) : '', keyNode: keyNode ?? null }]
      : []
  })
  return { seq, pair, entries }
}

/** True when the config declares a top-level `people:` list (then recipients are added there). */
export function hasPeople(text: string): boolean {
  return pairOf(load(text).contents, 'people') !== null
}

const normalKey = keyWithoutComment

/**
 * Adds a recipient to an existing group (creating its admins or targets list when missing).
 * With a `people:` list, the person is declared there once (unless already declared with this
 * key) and the group names them; `key` may then be null for a person already declared. Without
 * one, the group gets an inline `{name, key}` entry, as schema 1 wrote.
 * A group is never created here: one without secrets would give the recipient nothing, and a
 * mistyped name would silently start a new group instead of widening the intended one.
 * @throws {UserError} when the group does not exist (naming those that do), the name is already
 *   used in that group, a person of that name has another key, or `key` is null and no person
 *   of that name is declared.
 */
export function addRecipient(
  text: string,
  group: string,
  role: 'admin' | 'target',
  name: string,
  key: string | null,
): string {
  const doc = load(text)
  const groups = groupNames(doc)
  if (!groups.includes(group)) {
    throw new UserError(
      `.gitseal.yaml has no group named ${JSON.stringify(group)}`,
      groups.length > 0
        ? `pick one of its groups (${groups.join(', ')}), or add the group with its secrets to .gitseal.yaml first`
        : 'add a group with its secrets to .gitseal.yaml first',
    )
  }
  const groupPair = pairOf(doc.get('groups', true), group)!
  const recipientsPair = pairOf(groupPair.value, 'recipients')
  const recipients = recipientsPair?.value ?? null
  for (const list of ['admins', 'targets']) {
    const seq = pairOf(recipients, list)?.value
    if (isSeq(seq) && seq.items.some((item) => itemName(item) === name))
      throw new UserError(
        `group ${group} already has a recipient named ${name}`,
        `choose another name, or 'git-seal set-key ${name} NEWKEY' to change their key`,
      )
  }
  const edits = new Edits(text)
  const people = peopleEntries(doc)
  let block: string[]
  let flow: string
  if (people.pair) {
    const person = people.entries.find((p) => p.name === name)
    if (person && key !== null && normalKey(person.key) !== normalKey(key)) {
      throw new UserError(
        `${name} is declared in people with another key`,
        `'git-seal set-key ${name} KEY' replaces their key everywhere; or pick another name`,
      )
    }
    if (!person) {
      if (key === null)
        throw new UserError(
          `no person named ${name} in people`,
          `give the key: 'git-seal add-recipient ${name} KEY --group ${group} --${role}'`,
        )
      addPerson(text, edits, doc, name, key)
    }
    block = [yamlString(name)]
    flow = yamlString(name)
  } else {
    if (key === null)
      throw new UserError(
        `no person named ${name}: this config has no people list`,
        `give the key: 'git-seal add-recipient ${name} KEY --group ${group} --${role}'`,
      )
    block = [`name: ${yamlString(name)}`, `key: ${yamlString(key)}`]
    flow = `{name: ${yamlString(name)}, key: ${yamlString(key)}}`
  }
  const listPair = pairOf(recipients, `${role}s`)
  const seq = listPair?.value
  if (isSeq(seq) && (seq.flow || seq.items.length > 0)) appendToSeq(text, edits, seq, block, flow)
  else if (listPair && (listPair.value === null || (isScalar(listPair.value) && listPair.value.value === null))) {
    // `admins:` with nothing after it: the list starts on the next line.
    const keyColumn = column(text, (listPair.key as Node).range![0])
    const nl = newline(text)
    const at = lineEnd(text, afterColon(text, listPair))
    edits.insert(at, block.map((l, i) => `${' '.repeat(keyColumn + 2)}${i === 0 ? '- ' : '  '}${l}`).join(nl) + nl)
  } else if (listPair)
    throw new UserError(
      `.gitseal.yaml: groups.${group}.recipients.${role}s is not a list`,
      'fix it by hand, then run the command again',
    )
  else if (recipientsPair)
    addListToMap(
      text,
      edits,
      isMap(recipients) ? recipients : null,
      { pair: recipientsPair, parentColumn: column(text, (recipientsPair.key as Node).range![0]) },
      `${role}s`,
      block,
      flow,
    )
  else
    throw new UserError(
      `.gitseal.yaml: group ${group} has no recipients mapping`,
      `add 'recipients:' under groups.${group} by hand, then run the command again`,
    )
  return edits.apply()
}

/** Appends `{name, key}` to the people list. */
function addPerson(text: string, edits: Edits, doc: Document, name: string, key: string): void {
  const people = peopleEntries(doc)
  const block = [`name: ${yamlString(name)}`, `key: ${yamlString(key)}`]
  const flow = `{name: ${yamlString(name)}, key: ${yamlString(key)}}`
  if (people.seq && (people.seq.flow || people.seq.items.length > 0)) appendToSeq(text, edits, people.seq, block, flow)
  else if (
    people.pair &&
    !isSeq(people.pair.value) &&
    (people.pair.value === null || (isScalar(people.pair.value) && people.pair.value.value === null))
  ) {
    // `people:` with nothing after it: the list starts on the next line.
    const nl = newline(text)
    const indent = ' '.repeat(column(text, (people.pair.key as Node).range![0]) + 2)
    const at = lineEnd(text, afterColon(text, people.pair))
    edits.insert(at, block.map((l, i) => `${indent}${i === 0 ? '- ' : '  '}${l}`).join(nl) + nl)
  } else throw new UserError('.gitseal.yaml: people is not a list', 'fix it by hand, then run the command again')
}

/**
 * Removes a recipient (from one group, or every group) and its mentions in those groups'
 * secrets' admins/targets lists. Without a group, a person is also removed from `people:`.
 * @returns the new text, the groups it was removed from, and whether a person entry went.
 */
export function removeRecipient(
  text: string,
  name: string,
  group?: string,
): { text: string; removedFrom: string[]; removedPerson: boolean } {
  const doc = load(text)
  const groups = doc.get('groups', true)
  const removedFrom: string[] = []
  const edits = new Edits(text)
  if (isMap(groups)) {
    for (const pair of groups.items) {
      const groupName = isScalar(pair.key) ? String(pair.key.value) : String(pair.key)
      if (group !== undefined && groupName !== group) continue
      const recipients = pairOf(pair.value, 'recipients')?.value
      let removed = false
      for (const list of ['admins', 'targets']) {
        const listPair = pairOf(recipients, list)
        const seq = listPair?.value
        if (!isSeq(seq)) continue
        const remaining = seq.items.filter((item) => itemName(item) !== name).length
        seq.items.forEach((item, i) => {
          if (itemName(item) !== name) return
          removed = true
          removeFromSeq(text, edits, listPair, seq, i, remaining)
        })
      }
      if (!removed) continue
      removedFrom.push(groupName)
      const secrets = pairOf(pair.value, 'secrets')?.value
      if (!isMap(secrets)) continue
      for (const s of secrets.items) {
        for (const list of ['admins', 'targets']) {
          const listPair = pairOf(s.value, list)
          const value = listPair?.value
          if (isScalar(value) && value.value === name) edits.replace(value.range![0], value.range![1], '[]')
          if (!isSeq(value)) continue
          const remaining = value.items.filter((item) => !(isScalar(item) && item.value === name)).length
          value.items.forEach((item, i) => {
            if (isScalar(item) && item.value === name) removeFromSeq(text, edits, listPair, value, i, remaining)
          })
        }
      }
    }
  }
  let removedPerson = false
  if (group === undefined) {
    const people = peopleEntries(doc)
    if (people.seq) {
      const remaining = people.seq.items.filter((item) => itemName(item) !== name).length
      people.seq.items.forEach((item, i) => {
        if (itemName(item) !== name) return
        removedPerson = true
        removeFromSeq(text, edits, people.pair, people.seq!, i, remaining)
      })
    }
  }
  return { text: edits.size ? edits.apply() : text, removedFrom, removedPerson }
}

/**
 * Replaces the key of a person (in `people:`) or of inline recipients of that name (in every
 * group), leaving everything else as it is.
 * @returns the new text and where the key was replaced ('people', or 'group G').
 * @throws {UserError} when no person or recipient has that name.
 */
export function setKey(text: string, name: string, key: string): { text: string; places: string[]; oldKeys: string[] } {
  const doc = load(text)
  const edits = new Edits(text)
  const places: string[] = []
  const oldKeys = new Set<string>()
  const replaceKey = (node: Node | null | undefined, where: string): void => {
    if (!isScalar(node) || !node.range)
      throw new UserError(`.gitseal.yaml: ${where}: ${name}'s key is not a plain value`, 'change it by hand')
    oldKeys.add(String(node.value).trim())
    edits.replace(node.range[0], node.range[1], yamlString(key))
    places.push(where)
  }
  for (const person of peopleEntries(doc).entries) if (person.name === name) replaceKey(person.keyNode, 'people')
  const groups = doc.get('groups', true)
  if (isMap(groups)) {
    for (const pair of groups.items) {
      const groupName = isScalar(pair.key) ? String(pair.key.value) : String(pair.key)
      const recipients = pairOf(pair.value, 'recipients')?.value
      for (const list of ['admins', 'targets']) {
        const seq = pairOf(recipients, list)?.value
        if (!isSeq(seq)) continue
        for (const item of seq.items)
          if (isMap(item) && item.get('name') === name) replaceKey(item.get('key', true) as Node, `group ${groupName}`)
      }
    }
  }
  if (places.length === 0)
    throw new UserError(
      `no person or recipient named ${name} in .gitseal.yaml`,
      "'git-seal recipients' lists the names",
    )
  return { text: edits.apply(), places, oldKeys: [...oldKeys] }
}
