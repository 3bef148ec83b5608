/**
 * The client side of the two v1 state machines (C2SP age-plugin.md), over any
 * {@link PluginChannel}:
 *
 * - `recipient-v1` wraps file keys: phase 1 sends `add-recipient` for each recipient and
 *   `wrap-file-key` for each file key, then `done`; in phase 2 the plugin sends
 *   `recipient-stanza FILE TYPE ARGS…` (answered `ok`), prompts, or `error` (answered `ok`),
 *   then `done`. Any error fails the whole wrap: a file must never be encrypted to fewer
 *   recipients than asked.
 * - `identity-v1` unwraps: phase 1 sends `add-identity` for each identity and every stanza of
 *   every file as `recipient-stanza FILE TYPE ARGS…`, then `done`; in phase 2 the plugin sends
 *   `file-key FILE` (answered `ok`), prompts, or `error` (answered `ok`), then `done`. A file
 *   with no `file-key` is simply not for these identities. Errors are collected and the rest
 *   of the session still counts (the spec lets a client carry on when decrypting).
 *
 * In both, `msg`, `confirm`, `request-public` and `request-secret` go to the {@link PluginUI};
 * any other command gets `unsupported`, as the spec requires of a bi-directional phase.
 */
import { PluginError } from '../errors.js'
import type { Stanza } from '../header.js'
import { decodeBase64 } from '../primitives.js'
import type { PluginChannel } from './process.js'
import { printable, type PluginUI } from './ui.js'
import { StanzaReader, encodeStanza } from './wire.js'

const FILE_KEY_SIZE = 16

export interface UnwrapResult {
  /** per file, in the order given: its file key, or null when these identities do not open it */
  fileKeys: (Uint8Array | null)[]
  /** what the plugin reported (`error` commands), for the user; never key material */
  errors: string[]
}

/** Answers the prompts both state machines share; false when `s` is not one of them. */
function answerPrompt(name: string, s: Stanza, channel: PluginChannel, ui: PluginUI): boolean {
  const text = Buffer.from(s.body).toString('utf8')
  switch (s.type) {
    case 'msg':
      channel.send(encodeStanza(ui.message(name, text) ? 'ok' : 'fail'))
      return true
    case 'confirm': {
      if (s.args.length < 1 || s.args.length > 2)
        throw new PluginError(
          name,
          'failed',
          `age-plugin-${name} broke the plugin protocol (a confirm with ${s.args.length} arguments)`,
        )
      let yes: string
      let no: string | undefined
      try {
        yes = decodeBase64(s.args[0]!, 'confirm option').toString('utf8')
        no = s.args[1] === undefined ? undefined : decodeBase64(s.args[1], 'confirm option').toString('utf8')
      } catch {
        throw new PluginError(
          name,
          'failed',
          `age-plugin-${name} broke the plugin protocol (a confirm option that is not base64)`,
        )
      }
      const choice = ui.confirm(name, text, yes, no)
      channel.send(choice === null ? encodeStanza('fail') : encodeStanza('ok', [choice ? 'yes' : 'no']))
      return true
    }
    case 'request-public':
    case 'request-secret': {
      const value = ui.requestValue(name, text, s.type === 'request-secret')
      channel.send(value === null ? encodeStanza('fail') : encodeStanza('ok', [], Buffer.from(value, 'utf8')))
      return true
    }
    default:
      return false
  }
}

/** A non-negative decimal index below `limit`. */
function index(name: string, text: string | undefined, limit: number, what: string): number {
  if (text === undefined || !/^(0|[1-9][0-9]{0,8})$/.test(text) || Number(text) >= limit)
    throw new PluginError(
      name,
      'failed',
      `age-plugin-${name} broke the plugin protocol (${what} with an invalid file index)`,
    )
  return Number(text)
}

/** The plugin's `error` command as one line for the user. */
function describeError(s: Stanza): string {
  const where = s.args.join(' ')
  const message = printable(Buffer.from(s.body).toString('utf8'))
  return where ? `${message} (${where})` : message
}

/**
 * The plugin ended its output before `done`: it crashed or refused the state machine.
 * @throws {PluginError} 'failed', with how it exited and the end of its standard error.
 */
function endedEarly(name: string, channel: PluginChannel): never {
  const exit = channel.close()
  const how = exit.signal ? `killed by ${exit.signal}` : `exit status ${exit.code}`
  const stderr = printable(exit.stderr.trim().split('\n').slice(-3).join(' / '))
  throw new PluginError(
    name,
    'failed',
    `age-plugin-${name} stopped before finishing (${how})${stderr ? `: ${stderr}` : ''}`,
    `check that age-plugin-${name} works on its own (e.g. with the age CLI); its key may be missing or locked`,
  )
}

/**
 * Wraps each file key to every recipient, in one `recipient-v1` session.
 * @returns per file key, the stanzas to put in its header (at least one, at most one per recipient).
 * @throws {PluginError} 'failed' when the plugin exits early or breaks the protocol;
 *   'refused' when it reports an error (an unknown or invalid recipient, a key it cannot use).
 */
export function wrapFileKeys(
  name: string,
  channel: PluginChannel,
  recipients: string[],
  fileKeys: Uint8Array[],
  ui: PluginUI,
): Stanza[][] {
  const out: Stanza[][] = fileKeys.map(() => [])
  try {
    const phase1: Buffer[] = recipients.map((r) => encodeStanza('add-recipient', [r]))
    for (const key of fileKeys) phase1.push(encodeStanza('wrap-file-key', [], key))
    phase1.push(encodeStanza('done'))
    channel.send(Buffer.concat(phase1))
    const reader = new StanzaReader(name, () => channel.receive())
    const errors: string[] = []
    for (;;) {
      const s = reader.read()
      if (s === null) endedEarly(name, channel)
      if (s.type === 'done') break
      if (s.type === 'recipient-stanza') {
        const file = index(name, s.args[0], fileKeys.length, 'a recipient-stanza')
        if (s.args.length < 2)
          throw new PluginError(
            name,
            'failed',
            `age-plugin-${name} broke the plugin protocol (a recipient-stanza without a stanza type)`,
          )
        out[file]!.push({ type: s.args[1]!, args: s.args.slice(2), body: s.body })
        channel.send(encodeStanza('ok'))
      } else if (s.type === 'error') {
        errors.push(describeError(s))
        channel.send(encodeStanza('ok'))
      } else if (!answerPrompt(name, s, channel, ui)) channel.send(encodeStanza('unsupported'))
    }
    channel.close()
    if (errors.length > 0)
      throw new PluginError(
        name,
        'refused',
        `age-plugin-${name} could not wrap to its recipients: ${errors.join('; ')}`,
        'check the recipient in .gitseal.yaml and that the plugin version matches it',
      )
    out.forEach((stanzas, file) => {
      if (stanzas.length === 0)
        throw new PluginError(name, 'failed', `age-plugin-${name} returned no stanza for a file key`)
      if (stanzas.length > recipients.length)
        throw new PluginError(
          name,
          'failed',
          `age-plugin-${name} returned more stanzas for a file key than it has recipients (file ${file})`,
        )
    })
    return out
  } catch (e) {
    channel.close()
    throw e
  }
}

/**
 * Tries the identities on every file's stanzas, in one `identity-v1` session.
 * @throws {PluginError} 'failed' when the plugin exits early or breaks the protocol (no file
 *   key of the session is used then).
 */
export function unwrapFileKeys(
  name: string,
  channel: PluginChannel,
  identities: string[],
  files: Stanza[][],
  ui: PluginUI,
): UnwrapResult {
  const fileKeys: (Uint8Array | null)[] = files.map(() => null)
  const refused = new Set<number>()
  const errors: string[] = []
  try {
    const phase1: Buffer[] = identities.map((i) => encodeStanza('add-identity', [i]))
    files.forEach((stanzas, file) => {
      for (const s of stanzas) phase1.push(encodeStanza('recipient-stanza', [String(file), s.type, ...s.args], s.body))
    })
    phase1.push(encodeStanza('done'))
    channel.send(Buffer.concat(phase1))
    const reader = new StanzaReader(name, () => channel.receive())
    for (;;) {
      const s = reader.read()
      if (s === null) endedEarly(name, channel)
      if (s.type === 'done') break
      if (s.type === 'file-key') {
        const file = index(name, s.args[0], files.length, 'a file-key')
        if (s.args.length !== 1 || s.body.length !== FILE_KEY_SIZE)
          throw new PluginError(name, 'failed', `age-plugin-${name} broke the plugin protocol (a malformed file-key)`)
        if (fileKeys[file] !== null)
          throw new PluginError(
            name,
            'failed',
            `age-plugin-${name} broke the plugin protocol (two file keys for one file)`,
          )
        fileKeys[file] = s.body
        channel.send(encodeStanza('ok'))
      } else if (s.type === 'error') {
        // `error stanza FILE STANZA`: that file's header is invalid; the plugin must not unwrap it.
        if (s.args[0] === 'stanza' && s.args[1] !== undefined && /^[0-9]{1,9}$/.test(s.args[1]))
          refused.add(Number(s.args[1]))
        errors.push(describeError(s))
        channel.send(encodeStanza('ok'))
      } else if (!answerPrompt(name, s, channel, ui)) channel.send(encodeStanza('unsupported'))
    }
    channel.close()
    for (const file of refused) if (file < fileKeys.length) fileKeys[file] = null
    return { fileKeys, errors }
  } catch (e) {
    for (const key of fileKeys) key?.fill(0)
    channel.close()
    throw e
  }
}
