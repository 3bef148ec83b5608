/**
 * The plugin IPC framing (C2SP age-plugin.md, "IPC protocol"): every command is an age stanza
 * written exactly as in a v1 header, `-> COMMAND ARGS…` then its body in canonical unpadded
 * base64 wrapped at 64 columns, ending with a line shorter than 64 (an empty one when the body
 * is empty or a multiple of 48 bytes).
 */
import { PluginError } from '../errors.js'
import type { Stanza } from '../header.js'
import { decodeBase64, encodeBase64 } from '../primitives.js'

const ARG = /^[\x21-\x7e]+$/
/** The longest line a plugin may send: a stanza line holds a command and a few short arguments. */
const MAX_LINE = 64 * 1024
/** The largest body a plugin may send in one stanza (file keys are 16 bytes; messages are short). */
const MAX_BODY = 1 << 20

/**
 * One stanza in wire form.
 * @throws {PluginError} 'refused' when an argument is empty or holds a space or control character
 *   (it would change the framing).
 */
export function encodeStanza(type: string, args: string[] = [], body: Uint8Array = new Uint8Array(0)): Buffer {
  for (const a of [type, ...args])
    if (!ARG.test(a)) throw new PluginError('', 'refused', 'a stanza argument is empty or not printable ASCII')
  let out = `-> ${[type, ...args].join(' ')}\n`
  const b64 = encodeBase64(body)
  // Up to and including a final line shorter than 64 columns, which is empty when the
  // body's base64 fills whole lines.
  for (let i = 0; i <= b64.length; i += 64) out += b64.slice(i, i + 64) + '\n'
  return Buffer.from(out, 'latin1')
}

/**
 * Reads stanzas from a byte source that blocks until bytes arrive (`pull` returns null at end
 * of stream). A plugin is another program: every line is bounded and checked.
 */
export class StanzaReader {
  private buffer = Buffer.alloc(0)
  private ended = false

  constructor(
    private readonly plugin: string,
    private readonly pull: () => Uint8Array | null,
  ) {}

  private line(): string | null {
    for (;;) {
      const nl = this.buffer.indexOf(10)
      if (nl >= 0) {
        const text = this.buffer.subarray(0, nl).toString('latin1')
        this.buffer = this.buffer.subarray(nl + 1)
        return text
      }
      if (this.buffer.length > MAX_LINE) throw this.malformed('a line longer than 64 KiB')
      if (this.ended) {
        if (this.buffer.length > 0) throw this.malformed('a line cut short by the end of its output')
        return null
      }
      const chunk = this.pull()
      if (chunk === null) this.ended = true
      else this.buffer = Buffer.concat([this.buffer, chunk])
    }
  }

  private malformed(what: string): PluginError {
    return new PluginError(this.plugin, 'failed', `age-plugin-${this.plugin} broke the plugin protocol (${what})`)
  }

  /**
   * The next stanza, or null when the stream ended between stanzas.
   * @throws {PluginError} 'failed' when the output is not stanzas, or ends inside one.
   */
  read(): Stanza | null {
    const first = this.line()
    if (first === null) return null
    if (!first.startsWith('-> ')) throw this.malformed('expected a stanza line')
    const args = first.slice(3).split(' ')
    if (args.some((a) => !ARG.test(a))) throw this.malformed('a stanza argument is empty or not printable ASCII')
    const [type, ...rest] = args as [string, ...string[]]
    const body: Buffer[] = []
    let size = 0
    for (;;) {
      const line = this.line()
      if (line === null) throw this.malformed('a stanza body cut short by the end of its output')
      if (line.length > 64) throw this.malformed('a body line longer than 64 columns')
      let piece: Buffer
      try {
        piece = decodeBase64(line, 'stanza body')
      } catch {
        throw this.malformed('a body line that is not canonical base64')
      }
      size += piece.length
      if (size > MAX_BODY) throw this.malformed('a stanza body larger than 1 MiB')
      body.push(piece)
      if (line.length < 64) break
    }
    return { type, args: rest, body: Buffer.concat(body) }
  }
}
