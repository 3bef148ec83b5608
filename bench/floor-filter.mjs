#!/usr/bin/env node
// The floor of any long-running filter written in Node: git's filter protocol (version 2) done
// with blocking reads and one write per answer, and no work at all beyond reversing the bytes of
// each packet (so the stored blob differs from the file). `npm run bench` times it next to git-seal to show
// what the protocol itself costs per file, before any encryption.
import { readSync, writevSync } from 'node:fs'

let buf = Buffer.allocUnsafe(1 << 20)
let start = 0
let end = 0

function fill() {
  if (start > 0) {
    buf.copy(buf, 0, start, end)
    end -= start
    start = 0
  }
  if (end === buf.length) buf = Buffer.concat([buf, Buffer.allocUnsafe(buf.length)])
  const n = readSync(0, buf, end, buf.length - end, null)
  if (n === 0) process.exit(0)
  end += n
}

/** The next packet's payload (a copy), or null for a flush. */
function packet() {
  while (end - start < 4) fill()
  const length = parseInt(buf.toString('latin1', start, start + 4), 16)
  if (length === 0) {
    start += 4
    return null
  }
  while (end - start < length) fill()
  const payload = Buffer.from(buf.subarray(start + 4, start + length))
  start += length
  return payload
}

function send(items) {
  const parts = []
  for (const item of items) {
    if (item === null) {
      parts.push(Buffer.from('0000'))
      continue
    }
    const payload = typeof item === 'string' ? Buffer.from(item + '\n') : item
    parts.push(Buffer.from((payload.length + 4).toString(16).padStart(4, '0')), payload)
  }
  writevSync(1, parts)
}

packet() // git-filter-client
while (packet()) {} // versions
send(['git-filter-server', 'version=2', null])
while (packet()) {} // capabilities
send(['capability=clean', 'capability=smudge', null])
for (;;) {
  while (packet()) {} // command, pathname, …
  // Each packet reversed in place: git cuts content into packets at the same offsets both ways,
  // so smudge undoes clean, and nothing is joined or copied twice.
  const content = []
  for (let p = packet(); p; p = packet()) content.push(p.reverse())
  send(['status=success', null, ...content, null, null])
}
