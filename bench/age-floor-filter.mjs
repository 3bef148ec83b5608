#!/usr/bin/env node
// The floor of any Node filter that does age's work: the do-nothing filter's protocol loop
// (bench/floor-filter.mjs) with, per file, the least an age filter must do with node:crypto to
// write and read real age files (age-encryption.org/v1, https://age-encryption.org/v1) for one
// X25519 recipient. No config, no rules, no stored-version checks, no records, no fallbacks:
// `npm run bench` times it next to git-seal as target 4's measured floor.
//
// - clean: an ephemeral key pair and exchange, the wrapped file key, the header's MAC, the
//   payload in 64 KiB chunks;
// - smudge: the stanza read, the exchange, the file key unwrapped, the header's MAC checked,
//   every chunk opened.
//
// Key: BENCH_AGE_FLOOR_KEY, the identity's 32-byte X25519 scalar in hex. When
// BENCH_AGE_FLOOR_LOG names a file, the milliseconds spent on X25519 (key import or
// generation, share export, exchange) are appended to it at exit, so that the bench can credit
// them to a second core as git-seal does for clean (its headers are made ahead on a worker).
import { appendFileSync, readSync, writevSync } from 'node:fs'
import { MessageChannel, Worker, isMainThread, receiveMessageOnPort, workerData } from 'node:worker_threads'
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hkdfSync,
  randomBytes,
} from 'node:crypto'

const scalar = Buffer.from(isMainThread ? (process.env.BENCH_AGE_FLOOR_KEY ?? '') : workerData.key, 'hex')
if (scalar.length !== 32) {
  console.error('age-floor-filter: BENCH_AGE_FLOOR_KEY must be 32 bytes of hex')
  process.exit(2)
}
// node requires `x` in a private JWK and derives the public key from `d` alone.
const DUMMY_X = Buffer.alloc(32, 9).toString('base64url')
const privateFromScalar = (d) =>
  createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: d.toString('base64url'), x: DUMMY_X }, format: 'jwk' })
const identity = privateFromScalar(scalar)
const recipientKey = createPublicKey(identity)
const recipientPoint = Buffer.from(recipientKey.export({ format: 'jwk' }).x, 'base64url')

const logFile = process.env.BENCH_AGE_FLOOR_LOG
let x25519Ms = 0
function exit() {
  if (logFile) appendFileSync(logFile, `${x25519Ms}\n`)
  process.exit(0)
}

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
  if (n === 0) exit()
  end += n
}

/** The next packet's payload (a view, valid until the next read), or null for a flush. */
function packet() {
  while (end - start < 4) fill()
  const length = parseInt(buf.toString('latin1', start, start + 4), 16)
  if (length === 0) {
    start += 4
    return null
  }
  while (end - start < length) fill()
  const payload = buf.subarray(start + 4, start + length)
  start += length
  return payload
}

const pktHeader = (length) => Buffer.from((length + 4).toString(16).padStart(4, '0'))

/** Lines and flushes (null), framed as pkt-lines in one write. */
function send(items) {
  const parts = []
  for (const item of items) {
    if (item === null) parts.push(Buffer.from('0000'))
    else parts.push(pktHeader(item.length + 1), Buffer.from(`${item}\n`))
  }
  writevSync(1, parts)
}

/** A successful answer: its status, its content in packets, and the two flushes. */
function answer(content) {
  const parts = [pktHeader(15), Buffer.from('status=success\n'), Buffer.from('0000')]
  for (let i = 0; i < content.length; i += 65516) {
    const piece = content.subarray(i, i + 65516)
    parts.push(pktHeader(piece.length), piece)
  }
  parts.push(Buffer.from('00000000'))
  writevSync(1, parts)
}

const ZERO_NONCE = Buffer.alloc(12)
const CHUNK = 64 * 1024
const b64 = (bytes) => Buffer.from(bytes).toString('base64').replace(/=+$/, '')

function sealWith(key, nonce, data) {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 })
  return Buffer.concat([c.update(data), c.final(), c.getAuthTag()])
}

function openWith(key, nonce, data) {
  const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 })
  d.setAuthTag(data.subarray(data.length - 16))
  return Buffer.concat([d.update(data.subarray(0, data.length - 16)), d.final()])
}

/** The payload's chunks, each sealed with a counter nonce whose last byte marks the last chunk. */
function payload(key, data, seal) {
  const step = seal ? CHUNK : CHUNK + 16
  const out = []
  for (let i = 0, n = 0; ; i += step, n++) {
    const last = i + step >= data.length
    const chunkNonce = Buffer.alloc(12)
    chunkNonce.writeUIntBE(n, 5, 6)
    if (last) chunkNonce[11] = 1
    const chunk = data.subarray(i, Math.min(i + step, data.length))
    out.push(seal ? sealWith(key, chunkNonce, chunk) : openWith(key, chunkNonce, chunk))
    if (last) return out
  }
}

function headerMac(fileKey, text) {
  return createHmac('sha256', Buffer.from(hkdfSync('sha256', fileKey, Buffer.alloc(0), 'header', 32)))
    .update(text)
    .digest()
}

/** Everything of an age file that does not depend on its content: the header and the payload nonce, and the payload key. */
function makeHeader() {
  const a = performance.now()
  const ephemeral = privateFromScalar(randomBytes(32))
  const share = Buffer.from(ephemeral.export({ format: 'jwk' }).x, 'base64url')
  const shared = diffieHellman({ privateKey: ephemeral, publicKey: recipientKey })
  x25519Ms += performance.now() - a
  const salt = Buffer.concat([share, recipientPoint])
  const wrapKey = Buffer.from(hkdfSync('sha256', shared, salt, 'age-encryption.org/v1/X25519', 32))
  const fileKey = randomBytes(16)
  const text = `age-encryption.org/v1\n-> X25519 ${b64(share)}\n${b64(sealWith(wrapKey, ZERO_NONCE, fileKey))}\n---`
  const nonce = randomBytes(16)
  const prefix = Buffer.concat([Buffer.from(`${text} ${b64(headerMac(fileKey, text))}\n`), nonce])
  return { prefix, key: Buffer.from(hkdfSync('sha256', fileKey, nonce, 'payload', 32)) }
}

// Headers made ahead on a second thread, as git-seal does (src/age/prewrap.ts): git and the
// filter take turns, so a second core is mostly idle. Started after a few clean requests, pulled
// between requests without waiting; a request with none ready makes its own.
const ready = []
let port = null
let asked = 0
let inFlight = 0
function takeHeader() {
  if (++asked === 8 && process.env.BENCH_AGE_FLOOR_WORKER !== '0') {
    const channel = new MessageChannel()
    new Worker(new URL(import.meta.url), {
      workerData: { port: channel.port2, key: scalar.toString('hex') },
      transferList: [channel.port2],
      // Not the parent's stdout and stderr: wiring them would open fd 1 as a non-blocking
      // pipe, and the blocking writes of the protocol would then fail with EAGAIN.
      stdout: true,
      stderr: true,
    }).unref()
    channel.port1.unref()
    port = channel.port1
  }
  if (port) {
    for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
      ready.push(...m.message)
      inFlight -= m.message.length
    }
    if (ready.length + inFlight < 48) {
      port.postMessage(96)
      inFlight += 96
    }
  }
  return ready.shift() ?? makeHeader()
}

function encrypt(plaintext) {
  const { prefix, key } = takeHeader()
  return Buffer.concat([prefix, ...payload(key, plaintext, true)])
}

function decrypt(file) {
  const macAt = file.indexOf('\n--- ')
  const headerEnd = file.indexOf(10, macAt + 5)
  const text = file.toString('latin1', 0, macAt + 4)
  const [, stanza, body] = text.split('\n')
  const share = Buffer.from(stanza.slice('-> X25519 '.length), 'base64')
  const a = performance.now()
  const publicKey = createPublicKey({
    key: { kty: 'OKP', crv: 'X25519', x: share.toString('base64url') },
    format: 'jwk',
  })
  const shared = diffieHellman({ privateKey: identity, publicKey })
  x25519Ms += performance.now() - a
  const salt = Buffer.concat([share, recipientPoint])
  const wrapKey = Buffer.from(hkdfSync('sha256', shared, salt, 'age-encryption.org/v1/X25519', 32))
  const fileKey = openWith(wrapKey, ZERO_NONCE, Buffer.from(body, 'base64'))
  const mac = Buffer.from(file.toString('latin1', macAt + 5, headerEnd), 'base64')
  if (!headerMac(fileKey, text).equals(mac)) throw new Error('header MAC')
  const nonce = file.subarray(headerEnd + 1, headerEnd + 17)
  const key = Buffer.from(hkdfSync('sha256', fileKey, nonce, 'payload', 32))
  return Buffer.concat(payload(key, file.subarray(headerEnd + 17), false))
}

if (!isMainThread) {
  // The worker: batches of 16 headers, each request asking for more.
  workerData.port.on('message', (count) => {
    for (let made = 0; made < count; made += 16)
      workerData.port.postMessage(
        // Copies with buffers of their own: a view of node's Buffer pool would clone the pool.
        Array.from({ length: 16 }, () => {
          const { prefix, key } = makeHeader()
          return { prefix: new Uint8Array(prefix), key: new Uint8Array(key) }
        }),
      )
  })
} else {
  packet() // git-filter-client
  while (packet()) {} // versions
  send(['git-filter-server', 'version=2', null])
  while (packet()) {} // capabilities
  send(['capability=clean', 'capability=smudge', null])
  for (;;) {
    let command = ''
    for (let p = packet(); p; p = packet()) {
      const line = p.toString('latin1')
      if (line.startsWith('command=')) command = line.slice(8).trimEnd()
    }
    const pieces = []
    for (let p = packet(); p; p = packet()) pieces.push(Buffer.from(p))
    const content = Buffer.concat(pieces)
    answer(command === 'clean' ? encrypt(content) : decrypt(content))
  }
}
