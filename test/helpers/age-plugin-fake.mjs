#!/usr/bin/env node
// A software age plugin for the tests: `age-plugin-fake`, written from C2SP age-plugin.md, so
// git-seal's client can be tested end to end without hardware. Tests copy it as
// `age-plugin-fake` into a temp dir put first on PATH.
//
// Keys: an X25519 key pair. Recipient `age1fake1…` holds the public key, identity
// `AGE-PLUGIN-FAKE-1…` the private scalar. A file key is wrapped like age's X25519 type, under
// its own label, in a stanza `fake TAG SHARE` (TAG: the first 4 bytes of SHA-256 of the public
// key, so the plugin asks for a PIN only for files that are its own, as hardware plugins do).
//
//   age-plugin-fake --generate          prints "# recipient: age1fake1…" and the identity
//   age-plugin-fake --age-plugin=recipient-v1 | --age-plugin=identity-v1
//
// Behaviour the tests ask for, through the environment:
//   FAKE_PLUGIN_PIN=1234        identity-v1 asks once per session (request-secret) before the
//                               first file of its own; a wrong or missing answer: `error
//                               identity`, and no file key
//   FAKE_PLUGIN_PUBLIC=1        identity-v1 also asks for a public value (request-public), which
//                               must be "fake-serial"
//   FAKE_PLUGIN_CONFIRM=1       identity-v1 asks once (confirm, yes/no); "no": no file key
//   FAKE_PLUGIN_TOUCH=1         identity-v1 sends `msg` "touch your fake key" for each file it
//                               opens (a touch-always key)
//   FAKE_PLUGIN_GREASE=1        sends an unknown command first and insists on `unsupported`
//   FAKE_PLUGIN_CRASH=recipient|identity   exits with status 7 after phase 1, writing to stderr
//   FAKE_PLUGIN_LOG=FILE        appends one JSON line per session: machine, files, keys…
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  randomBytes,
} from 'node:crypto'
import { appendFileSync, readSync, writeSync } from 'node:fs'

const LABEL = 'age-plugin-fake.example/v1'
const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'

// Bech32 (BIP 173) without a length limit, as age uses it.
function polymod(values) {
  const gen = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
  let chk = 1
  for (const v of values) {
    const top = chk >>> 25
    chk = ((chk & 0x1ffffff) << 5) ^ v
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= gen[i]
  }
  return chk
}
const hrpExpand = (hrp) => [
  ...[...hrp].map((c) => c.charCodeAt(0) >> 5),
  0,
  ...[...hrp].map((c) => c.charCodeAt(0) & 31),
]
function convert(data, from, to, pad) {
  let acc = 0
  let bits = 0
  const out = []
  for (const v of data) {
    acc = (acc << from) | v
    bits += from
    while (bits >= to) {
      bits -= to
      out.push((acc >> bits) & ((1 << to) - 1))
    }
  }
  if (pad && bits > 0) out.push((acc << (to - bits)) & ((1 << to) - 1))
  else if (!pad && (bits >= from || (acc << (to - bits)) & ((1 << to) - 1))) throw new Error('bad padding')
  return out
}
function bech32Encode(hrp, bytes) {
  const words = convert(bytes, 8, 5, true)
  const mod = polymod([...hrpExpand(hrp), ...words, 0, 0, 0, 0, 0, 0]) ^ 1
  const checksum = Array.from({ length: 6 }, (_, i) => (mod >> (5 * (5 - i))) & 31)
  return hrp + '1' + [...words, ...checksum].map((w) => CHARSET[w]).join('')
}
function bech32Decode(text) {
  const s = text.toLowerCase()
  const sep = s.lastIndexOf('1')
  const hrp = s.slice(0, sep)
  const words = [...s.slice(sep + 1)].map((c) => CHARSET.indexOf(c))
  if (sep < 1 || words.length < 6 || words.includes(-1) || polymod([...hrpExpand(hrp), ...words]) !== 1)
    throw new Error('bad bech32')
  return { hrp, bytes: Buffer.from(convert(words.slice(0, -6), 5, 8, false)) }
}

const PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex')
const SPKI = Buffer.from('302a300506032b656e032100', 'hex')
const privateKey = (scalar) => createPrivateKey({ key: Buffer.concat([PKCS8, scalar]), format: 'der', type: 'pkcs8' })
const publicKey = (point) => createPublicKey({ key: Buffer.concat([SPKI, point]), format: 'der', type: 'spki' })
const rawPublic = (key) => createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(SPKI.length)
function hkdf(ikm, salt, info) {
  const prk = createHmac('sha256', salt).update(ikm).digest()
  return createHmac('sha256', prk)
    .update(Buffer.concat([Buffer.from(info), Buffer.from([1])]))
    .digest()
}
const b64 = (bytes) => Buffer.from(bytes).toString('base64').replace(/=+$/, '')
const unb64 = (text) => Buffer.from(text, 'base64')
const tagOf = (point) => b64(createHash('sha256').update(point).digest().subarray(0, 4))

function wrap(fileKey, point) {
  const ephemeral = randomBytes(32)
  const share = rawPublic(privateKey(ephemeral))
  const shared = diffieHellman({ privateKey: privateKey(ephemeral), publicKey: publicKey(point) })
  const key = hkdf(shared, Buffer.concat([share, point]), LABEL)
  const cipher = createCipheriv('chacha20-poly1305', key, Buffer.alloc(12), { authTagLength: 16 })
  const body = Buffer.concat([cipher.update(fileKey), cipher.final(), cipher.getAuthTag()])
  return { args: ['fake', tagOf(point), b64(share)], body }
}
function unwrap(stanza, scalar, point) {
  const share = unb64(stanza.args[2] ?? '')
  if (share.length !== 32 || stanza.body.length !== 32) throw new Error('malformed fake stanza')
  const shared = diffieHellman({ privateKey: privateKey(scalar), publicKey: publicKey(share) })
  const key = hkdf(shared, Buffer.concat([share, point]), LABEL)
  const decipher = createDecipheriv('chacha20-poly1305', key, Buffer.alloc(12), { authTagLength: 16 })
  decipher.setAuthTag(stanza.body.subarray(16))
  try {
    return Buffer.concat([decipher.update(stanza.body.subarray(0, 16)), decipher.final()])
  } catch {
    return null
  }
}

// Stanza I/O on fd 0 and 1, blocking.
let input = Buffer.alloc(0)
function readLine() {
  for (;;) {
    const nl = input.indexOf(10)
    if (nl >= 0) {
      const line = input.subarray(0, nl).toString('latin1')
      input = input.subarray(nl + 1)
      return line
    }
    const chunk = Buffer.alloc(65536)
    let n
    try {
      n = readSync(0, chunk, 0, chunk.length, null)
    } catch (e) {
      if (e.code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5)
        continue
      }
      throw e
    }
    if (n === 0) process.exit(0) // the client went away
    input = Buffer.concat([input, chunk.subarray(0, n)])
  }
}
function readStanza() {
  const [type, ...args] = readLine().slice(3).split(' ')
  const body = []
  for (;;) {
    const line = readLine()
    body.push(unb64(line))
    if (line.length < 64) break
  }
  return { type, args, body: Buffer.concat(body) }
}
function writeStanza(type, args = [], body = Buffer.alloc(0)) {
  let out = `-> ${[type, ...args].join(' ')}\n`
  const text = b64(body)
  for (let i = 0; i <= text.length; i += 64) out += text.slice(i, i + 64) + '\n'
  writeSync(1, out)
}
function ask(type, args, body) {
  writeStanza(type, args, Buffer.from(body))
  return readStanza()
}
function log(entry) {
  if (process.env.FAKE_PLUGIN_LOG) appendFileSync(process.env.FAKE_PLUGIN_LOG, JSON.stringify(entry) + '\n')
}
function phase1() {
  const commands = []
  for (let s = readStanza(); s.type !== 'done'; s = readStanza()) commands.push(s)
  return commands
}
function grease() {
  if (!process.env.FAKE_PLUGIN_GREASE) return
  const reply = ask('grease-fake', ['x'], 'ignore me')
  if (reply.type !== 'unsupported') {
    process.stderr.write(`expected unsupported, got ${reply.type}\n`)
    process.exit(9)
  }
}
function crash(machine) {
  if (process.env.FAKE_PLUGIN_CRASH === machine) {
    log({ machine: `${machine}-v1`, crashed: true })
    process.stderr.write('fake plugin: simulated crash\n')
    process.exit(7)
  }
}

function recipientV1() {
  const commands = phase1()
  crash('recipient')
  grease()
  const recipients = commands.filter((c) => c.type === 'add-recipient').map((c) => c.args[0])
  const fileKeys = commands.filter((c) => c.type === 'wrap-file-key').map((c) => c.body)
  log({ machine: 'recipient-v1', recipients: recipients.length, keys: fileKeys.length })
  const points = []
  for (const [i, r] of recipients.entries()) {
    try {
      const { hrp, bytes } = bech32Decode(r)
      if (hrp !== 'age1fake' || bytes.length !== 32) throw new Error('not a fake recipient')
      points.push(bytes)
    } catch {
      ask('error', ['recipient', String(i)], 'not a valid fake recipient')
      writeStanza('done')
      return
    }
  }
  for (const [file, fileKey] of fileKeys.entries()) {
    for (const point of points) {
      const { args, body } = wrap(fileKey, point)
      ask('recipient-stanza', [String(file), ...args], body)
    }
  }
  writeStanza('done')
}

function identityV1() {
  const commands = phase1()
  crash('identity')
  grease()
  const identities = []
  const files = new Map()
  for (const c of commands) {
    if (c.type === 'add-identity') identities.push(c.args[0])
    if (c.type === 'recipient-stanza') {
      const [file, type, ...args] = c.args
      if (!files.has(file)) files.set(file, [])
      files.get(file).push({ type, args: [type, ...args], body: c.body })
    }
  }
  log({ machine: 'identity-v1', identities: identities.length, files: files.size })
  const keys = []
  for (const [i, text] of identities.entries()) {
    try {
      const { hrp, bytes } = bech32Decode(text)
      if (hrp !== 'age-plugin-fake-' || bytes.length !== 32) throw new Error('not a fake identity')
      keys.push({ scalar: bytes, point: rawPublic(privateKey(bytes)) })
    } catch {
      ask('error', ['identity', String(i)], 'not a valid fake identity')
      writeStanza('done')
      return
    }
  }
  let unlocked = false
  let refused = false
  for (const [file, stanzas] of files) {
    if (refused) break
    for (const [index, stanza] of stanzas.entries()) {
      if (stanza.type !== 'fake') continue
      const key = keys.find((k) => k.point && stanza.args[1] === tagOf(k.point))
      if (!key) continue
      if (!unlocked) {
        if (process.env.FAKE_PLUGIN_PIN) {
          const reply = ask('request-secret', [], 'Enter the PIN of your fake key')
          if (reply.type !== 'ok' || reply.body.toString('utf8') !== process.env.FAKE_PLUGIN_PIN) {
            ask('error', ['identity', '0'], reply.type === 'ok' ? 'wrong PIN' : 'a PIN is required')
            refused = true
            break
          }
        }
        if (process.env.FAKE_PLUGIN_PUBLIC) {
          const reply = ask('request-public', [], 'Serial of your fake key')
          if (reply.type !== 'ok' || reply.body.toString('utf8') !== 'fake-serial') {
            ask('error', ['identity', '0'], 'wrong serial')
            refused = true
            break
          }
        }
        if (process.env.FAKE_PLUGIN_CONFIRM) {
          const reply = ask('confirm', [b64(Buffer.from('use it')), b64(Buffer.from('skip'))], 'Use the fake key?')
          if (!(reply.type === 'ok' && reply.args[0] === 'yes')) {
            refused = true
            break
          }
        }
        unlocked = true
      }
      if (process.env.FAKE_PLUGIN_TOUCH) ask('msg', [], 'touch your fake key')
      let fileKey
      try {
        fileKey = unwrap(stanza, key.scalar, key.point)
      } catch {
        ask('error', ['stanza', file, String(index)], 'malformed fake stanza')
        break
      }
      if (fileKey) {
        ask('file-key', [file], fileKey)
        break
      }
    }
  }
  writeStanza('done')
}

const mode = process.argv[2]
if (mode === '--generate') {
  const scalar = randomBytes(32)
  const point = rawPublic(privateKey(scalar))
  process.stdout.write(
    `# recipient: ${bech32Encode('age1fake', point)}\n${bech32Encode('age-plugin-fake-', scalar).toUpperCase()}\n`,
  )
} else if (mode === '--age-plugin=recipient-v1') recipientV1()
else if (mode === '--age-plugin=identity-v1') identityV1()
else {
  process.stderr.write(`age-plugin-fake: unknown state machine ${mode}\n`)
  process.exit(1)
}
