/**
 * Changing who reads what: add-recipient, remove-recipient and set-key edit .gitseal.yaml in
 * place (keeping its formatting), refuse an edit that would not validate, rewrite
 * .gitattributes and a generated .sops.yaml, then rekey what the change affects.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CONFIG_FILE, addRecipient, parseConfig, removeRecipient, keyWithoutComment, setKey } from '../config/index.js'
import { refreshSopsConfig } from './sops-config.js'
import { syncAttributes } from './sync.js'
import { SealContext } from '../seal/context.js'
import type { RekeyOutcome } from '../seal/rekey.js'
import { UserError } from '../ui.js'
import { rekey } from './rekey.js'
import { repoPaths } from '../git/repo.js'
import { auditHistory, type Exposure } from './audit.js'

export interface ConfigChange {
  /** what changed, for the first message ("added admin bob to group prod") */
  summary: string
  /** true when .gitattributes or .sops.yaml had to follow */
  attributesUpdated: boolean
  sopsConfigUpdated: boolean
  /** null when no identity here could rekey */
  outcomes: RekeyOutcome[] | null
}

/**
 * Applies `edit` to the config text, validates and writes it, then rekeys.
 * @throws {UserError} from the edit; {ConfigError} when the result would not validate (nothing
 *   is written then).
 */
export async function changeConfig(
  edit: (text: string) => { text: string; summary: string },
  cwd: string = process.cwd(),
): Promise<ConfigChange> {
  const ctx = SealContext.open(cwd)
  try {
    const file = join(ctx.root, CONFIG_FILE)
    const before = readFileSync(file, 'utf8')
    const { text: after, summary } = edit(before)
    const config = parseConfig(after, CONFIG_FILE) // refuse to write a config that does not validate
    writeFileSync(file, after)
    const attributesUpdated = syncAttributes(ctx.root)
    const sopsConfigUpdated = refreshSopsConfig(ctx.root, config)
    if (ctx.keys.identities().length === 0) return { summary, attributesUpdated, sopsConfigUpdated, outcomes: null }
    // A fresh context: the first one cached the config as it was before the edit.
    const fresh = new SealContext(ctx.paths, ctx.root)
    try {
      return { summary, attributesUpdated, sopsConfigUpdated, outcomes: await rekey(fresh, []) }
    } finally {
      fresh.close()
    }
  } finally {
    ctx.close()
  }
}

/** add-recipient: `key` null names a person already declared in `people:`. */
export function addRecipientChange(group: string, role: 'admin' | 'target', name: string, key: string | null) {
  return (text: string) => ({
    text: addRecipient(text, group, role, name, key),
    summary: `added ${role} ${name} to group ${group}`,
  })
}

/**
 * remove-recipient; `removed` receives where they were removed from.
 * @throws {UserError} (from the returned edit) when nobody of that name is there.
 */
export function removeRecipientChange(
  name: string,
  group: string | undefined,
  removed: { groups: string[]; person: boolean },
) {
  return (text: string) => {
    const result = removeRecipient(text, name, group)
    removed.groups = result.removedFrom
    removed.person = result.removedPerson
    if (result.removedFrom.length === 0 && !result.removedPerson) {
      throw new UserError(
        `no recipient named ${name}${group ? ` in group ${group}` : ''}`,
        "'git-seal recipients' lists the names",
      )
    }
    const where = [...(result.removedPerson ? ['people'] : []), ...result.removedFrom.map((g) => `group ${g}`)]
    return { text: result.text, summary: `removed ${name} from ${where.join(', ')}` }
  }
}

/** set-key; `replaced` receives the places and the old keys. */
export function setKeyChange(name: string, key: string, replaced: { places: string[]; oldKeys: string[] }) {
  return (text: string) => {
    const result = setKey(text, name, key)
    replaced.places = result.places
    replaced.oldKeys = result.oldKeys
    return { text: result.text, summary: `replaced ${name}'s key in ${result.places.join(', ')}` }
  }
}

/** `add-recipient`: adds them to the group, then rekeys. `key` null names a person already declared in `people:`. */
export function addRecipientToGroup(
  group: string,
  role: 'admin' | 'target',
  name: string,
  key: string | null,
  cwd: string = process.cwd(),
): Promise<ConfigChange> {
  return changeConfig(addRecipientChange(group, role, name, key), cwd)
}

export interface RecipientRemoval {
  change: ConfigChange
  /** every secret path (and version) they could read until now, from history: those stay theirs */
  exposures: Exposure[]
}

/**
 * `remove-recipient`: removes them (from `group`, or everywhere), rekeys, then lists what they could read.
 * @throws {UserError} when nobody of that name is there; {ConfigError} when the result would not validate.
 */
export async function removeRecipientEverywhere(
  name: string,
  group: string | undefined,
  cwd: string = process.cwd(),
): Promise<RecipientRemoval> {
  const change = await changeConfig(removeRecipientChange(name, group, { groups: [], person: false }), cwd)
  // The exact list of what they could read, from history: the versions stay theirs.
  const root = repoPaths(cwd).top!
  const audit = (await auditHistory(root, name, null)).recipients[0]
  return { change, exposures: audit?.paths ?? [] }
}

export interface KeyReplacement {
  change: ConfigChange
  /** the keys the config held for them before */
  oldKeys: string[]
  /** false when the new key is the one they had (nothing was exposed) */
  keyChanged: boolean
}

/**
 * `set-key`: replaces their key everywhere the config holds it, then rekeys.
 * @throws {UserError} from the edit when nobody of that name is there; {ConfigError} when the result would not validate.
 */
export async function replaceKey(name: string, key: string, cwd: string = process.cwd()): Promise<KeyReplacement> {
  const replaced = { places: [] as string[], oldKeys: [] as string[] }
  const change = await changeConfig(setKeyChange(name, key, replaced), cwd)
  return {
    change,
    oldKeys: replaced.oldKeys,
    keyChanged: !replaced.oldKeys.every((k) => keyWithoutComment(k) === keyWithoutComment(key)),
  }
}
