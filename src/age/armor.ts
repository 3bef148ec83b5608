/**
 * ASCII armor: PEM-style, standard padded base64 in 64-column lines.
 * https://github.com/C2SP/C2SP/blob/main/age.md#ascii-armor
 */
import { AgeError } from './errors.js'

const BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----'
const END = '-----END AGE ENCRYPTED FILE-----'

export function armor(bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
  const lines = [BEGIN]
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64))
  lines.push(END)
  return lines.join('\n') + '\n'
}

export function isArmored(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 64 + BEGIN.length)).toString(
    'latin1',
  )
  return head.trimStart().startsWith(BEGIN)
}

/** @throws {AgeError} 'bad-header' when the armor is malformed. */
export function dearmor(text: string): Uint8Array {
  const lines = text.trim().split(/\r?\n/)
  if (lines[0] !== BEGIN || lines.at(-1) !== END) throw new AgeError('bad-header', 'malformed armor')
  const body = lines.slice(1, -1)
  for (let i = 0; i < body.length; i++) {
    const line = body[i]!
    const last = i === body.length - 1
    if (
      !/^[A-Za-z0-9+/=]+$/.test(line) ||
      line.length > 64 ||
      (!last && line.length !== 64) ||
      (last && line.length % 4 !== 0)
    ) {
      throw new AgeError('bad-header', 'malformed armor')
    }
  }
  const b64 = body.join('')
  const bytes = Buffer.from(b64, 'base64')
  if (bytes.toString('base64') !== b64) throw new AgeError('bad-header', 'malformed armor')
  return bytes
}
