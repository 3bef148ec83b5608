/**
 * Plugin recipients and identities as the rest of src/age sees them: a {@link Recipient} and an
 * {@link Identity} like X25519's, backed by `age-plugin-NAME` sessions.
 *
 * Identities of one plugin are one {@link PluginIdentity}: a session gets all of them (the spec
 * lets a client add several), so a plugin is started once per batch, not once per key. What a
 * session learns is kept for the process (the file key, or that these identities do not open
 * those stanzas): a blob opened twice in one git command (smudge, then clean comparing the work
 * tree with it) asks the plugin, and the user, once. {@link PluginIdentity.prefetch} asks about
 * many files in one session, which is how a checkout batches them (git's `delay` capability).
 */
import { createHash } from 'node:crypto'
import { AgeError, PluginError } from '../errors.js'
import { MAX_STANZAS, type Stanza } from '../header.js'
import type { Identity, Recipient } from '../types.js'
import { unwrapFileKeys, wrapFileKeys } from './client.js'
import { parsePluginIdentity, parsePluginRecipient } from './encoding.js'
import { launchPlugin, type PluginLauncher } from './process.js'
import { pluginUI, type PluginUI } from './ui.js'
import { encodeStanza } from './wire.js'

export interface PluginOptions {
  /** who answers the plugin's prompts; the terminal by default ({@link pluginUI}) */
  ui?: PluginUI
  /** how a plugin is started; `age-plugin-NAME` from PATH by default */
  launch?: PluginLauncher
}

function launcher(options: PluginOptions, ui: PluginUI): PluginLauncher {
  return (
    options.launch ??
    ((name, machine) =>
      launchPlugin(name, machine, () =>
        ui.message(name, 'still waiting for the plugin (does your key want a touch, or a PIN on another screen?)'),
      ))
  )
}

/** Names one file's stanzas, to remember what a session said about them. */
function stanzasId(stanzas: Stanza[]): string {
  const hash = createHash('sha256')
  for (const s of stanzas) hash.update(encodeStanza(s.type, s.args, s.body))
  return hash.digest('base64')
}

export class PluginIdentity implements Identity {
  private readonly identities: string[] = []
  private readonly known = new Map<string, Uint8Array | null>()
  private readonly warned = new Set<string>()
  /** why this plugin is not asked again in this process (it is missing, or it crashed) */
  private disabled: string | null = null
  private readonly ui: PluginUI
  private readonly launch: PluginLauncher

  /**
   * @param identities `AGE-PLUGIN-NAME-1…` strings, all for plugin `name`.
   * @throws {AgeError} 'bad-key' when one is malformed or names another plugin.
   */
  constructor(
    readonly plugin: string,
    identities: string[],
    options: PluginOptions = {},
  ) {
    this.ui = options.ui ?? pluginUI()
    this.launch = launcher(options, this.ui)
    for (const i of identities) this.add(i)
  }

  /** @throws {AgeError} 'bad-key' when `identity` is malformed or names another plugin. */
  add(identity: string): void {
    const { name } = parsePluginIdentity(identity)
    if (name !== this.plugin)
      throw new AgeError('bad-key', `an AGE-PLUGIN-${name.toUpperCase()} identity given to age-plugin-${this.plugin}`)
    if (!this.identities.includes(identity.trim())) this.identities.push(identity.trim())
  }

  /** True when a session already said whether these stanzas open (nothing to ask). */
  knows(stanzas: Stanza[]): boolean {
    return this.disabled !== null || this.known.has(stanzasId(stanzas))
  }

  /**
   * Asks the plugin about every file whose stanzas it was not asked about yet, in one
   * `identity-v1` session. Never throws: a plugin that is missing or fails is reported once
   * (through the UI) and not asked again in this process; its files stay unopened.
   */
  prefetch(files: Stanza[][]): void {
    if (this.disabled !== null) return
    const ids = new Set<string>()
    const ask: Stanza[][] = []
    const askIds: string[] = []
    for (const stanzas of files) {
      // A header over the bound is refused before any key exchange (header.ts); so here.
      if (stanzas.length === 0 || stanzas.length > MAX_STANZAS) continue
      const id = stanzasId(stanzas)
      if (this.known.has(id) || ids.has(id)) continue
      ids.add(id)
      ask.push(stanzas)
      askIds.push(id)
    }
    if (ask.length === 0) return
    try {
      const { fileKeys, errors } = unwrapFileKeys(
        this.plugin,
        this.launch(this.plugin, 'identity-v1'),
        this.identities,
        ask,
        this.ui,
      )
      fileKeys.forEach((key, i) => {
        this.known.set(askIds[i]!, key)
      })
      for (const e of errors) this.warnOnce(`age-plugin-${this.plugin}: ${e}`)
    } catch (e) {
      if (!(e instanceof PluginError)) throw e
      this.disabled = e.message
      this.warnOnce(e.message, e.hint)
    }
  }

  unwrapFileKey(stanzas: Stanza[]): Uint8Array | null {
    this.prefetch([stanzas])
    const key = this.known.get(stanzasId(stanzas))
    // A copy: whoever opens the file may wipe it, and another call may need it again.
    return key ? Buffer.from(key) : null
  }

  private warnOnce(message: string, hint?: string): void {
    if (this.warned.has(message)) return
    this.warned.add(message)
    this.ui.warn(message, hint)
  }
}

/**
 * One {@link PluginIdentity} per plugin name, in order of first appearance.
 * @throws {AgeError} 'bad-key' when an identity is malformed.
 */
export function pluginIdentities(identities: string[], options: PluginOptions = {}): PluginIdentity[] {
  const byName = new Map<string, PluginIdentity>()
  for (const text of identities) {
    const { name } = parsePluginIdentity(text)
    const existing = byName.get(name)
    if (existing) existing.add(text)
    else byName.set(name, new PluginIdentity(name, [text], options))
  }
  return [...byName.values()]
}

export class PluginRecipient implements Recipient {
  readonly plugin: string
  readonly text: string

  /** @throws {AgeError} 'bad-key' when `text` is not a well-formed `age1NAME1…` recipient. */
  constructor(
    text: string,
    readonly options: PluginOptions = {},
  ) {
    this.text = text.trim()
    this.plugin = parsePluginRecipient(this.text).name
  }

  /** @throws {PluginError} when the plugin is missing, fails, or refuses the recipient. */
  wrapFileKey(fileKey: Uint8Array): Stanza[] {
    return wrapWithPlugins([this], [fileKey])[0]!
  }
}

/**
 * Wraps every file key to every plugin recipient: one `recipient-v1` session per plugin name
 * (all its recipients and all the file keys in it).
 * @returns per file key, the stanzas of all the plugins, plugin by plugin in order of first appearance.
 * @throws {PluginError} when a plugin is missing, fails, or refuses a recipient: the file must
 *   not be encrypted to fewer recipients than asked.
 */
export function wrapWithPlugins(recipients: PluginRecipient[], fileKeys: Uint8Array[]): Stanza[][] {
  const out: Stanza[][] = fileKeys.map(() => [])
  const byName = new Map<string, PluginRecipient[]>()
  for (const r of recipients) byName.set(r.plugin, [...(byName.get(r.plugin) ?? []), r])
  for (const [name, group] of byName) {
    const options = group[0]!.options
    const ui = options.ui ?? pluginUI()
    const texts = [...new Set(group.map((r) => r.text))]
    const wrapped = wrapFileKeys(name, launcher(options, ui)(name, 'recipient-v1'), texts, fileKeys, ui)
    wrapped.forEach((stanzas, i) => {
      out[i]!.push(...stanzas)
    })
  }
  return out
}
