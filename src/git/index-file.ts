/**
 * Reading git's index file in-process: path -> blob id of stage-0 entries, without a process or
 * a round trip per file. https://git-scm.com/docs/index-format
 * Versions 2, 3 and 4, SHA-1 and SHA-256. A split or sparse index, or anything unexpected,
 * yields null and callers ask `git cat-file` instead.
 */
import { readFileSync } from 'node:fs'

function readVarint(buf: Buffer, offset: number): [number, number] {
  // git's offset varint (varint.c): each continuation adds one before shifting.
  let c = buf[offset++]!
  let value = c & 127
  while (c & 128) {
    c = buf[offset++]!
    value = ((value + 1) << 7) | (c & 127)
  }
  return [value, offset]
}

/**
 * Parses an index file.
 * `unmerged`, when given, receives the paths of unresolved conflicts (stages 1-3).
 * @returns the stage-0 entries (none when there is no index yet), or null when the file cannot
 *   be read or uses features this reader leaves to git (split index, sparse directories).
 */
export function readIndexFile(file: string, hashLength: 20 | 32, unmerged?: Set<string>): Map<string, string> | null {
  let buf: Buffer
  try {
    buf = readFileSync(file)
  } catch (e) {
    // A new repository has no index until its first `git add`.
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? new Map() : null
  }
  try {
    if (buf.toString('latin1', 0, 4) !== 'DIRC') return null
    const version = buf.readUInt32BE(4)
    if (version < 2 || version > 4) return null
    const count = buf.readUInt32BE(8)
    const entries = new Map<string, string>()
    let offset = 12
    let previous: Buffer = Buffer.alloc(0)
    for (let i = 0; i < count; i++) {
      const start = offset
      const mode = buf.readUInt32BE(start + 24)
      const oid = buf.toString('hex', start + 40, start + 40 + hashLength)
      const flags = buf.readUInt16BE(start + 40 + hashLength)
      const stage = (flags >> 12) & 3
      let pos = start + 42 + hashLength
      if (version >= 3 && flags & 0x4000) pos += 2
      let name: Buffer
      if (version === 4) {
        const [strip, next] = readVarint(buf, pos)
        const end = buf.indexOf(0, next)
        name = Buffer.concat([previous.subarray(0, previous.length - strip), buf.subarray(next, end)])
        offset = end + 1
      } else {
        const end = buf.indexOf(0, pos)
        name = buf.subarray(pos, end)
        // Entries are padded with 1-8 NULs to a multiple of 8 bytes.
        offset = start + Math.floor((end - start + 8) / 8) * 8
      }
      previous = name
      if ((mode & 0o170000) === 0o040000) return null // a sparse directory entry
      if (stage === 0) entries.set(name.toString('utf8'), oid)
      else unmerged?.add(name.toString('utf8'))
    }
    // Extensions: a split index keeps entries elsewhere.
    while (offset + 8 <= buf.length - hashLength) {
      const signature = buf.toString('latin1', offset, offset + 4)
      if (signature === 'link' || signature === 'sdir') return null
      offset += 8 + buf.readUInt32BE(offset + 4)
    }
    return entries
  } catch {
    return null
  }
}
