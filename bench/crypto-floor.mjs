#!/usr/bin/env node
// The least crypto work an age filter does per secret, measured in one Node process with
// node:crypto (what git-seal uses): `npm run bench` adds it to the do-nothing filter's time to
// get a floor no Node filter can go below (targets 2 and 3ct of issue 16; target 4 has an end-to-end
// floor, bench/age-floor-filter.mjs, and the N mode here shows the crypto part of it by hand).
//
//   node bench/crypto-floor.mjs add|checkout N    N files' work; prints JSON {ms, x25519Ms}
//   node bench/crypto-floor.mjs first add|checkout the first file's work in a fresh process,
//                                                    node:crypto's loading included; prints {ms}
//
// Per file, as age does it for one X25519 recipient:
// - add: an ephemeral X25519 key pair, its share exported (the stanza carries it) and the
//   exchange, HKDF of the wrapping key, ChaCha20-Poly1305 of the 16-byte file key, the
//   header's HKDF and HMAC, the payload key's HKDF and ChaCha20-Poly1305 of the content;
// - checkout: the file's share imported (every file has its own, and node:crypto exchanges
//   only with a key object; JWK is its cheapest import) and the exchange, the same HKDFs, HMAC
//   and two ChaCha20-Poly1305 passes (sealing and opening cost the same).
// The share's export or import counts as X25519 work.
// No parsing, no encoding, no files, no records: only what the format makes unavoidable.

const [mode, arg] = process.argv.slice(2)
const first = mode === 'first'
const op = first ? arg : mode
const N = first ? 1 : Number(arg)
if ((op !== 'add' && op !== 'checkout') || !(N > 0)) {
  console.error('usage: crypto-floor.mjs add|checkout N | first add|checkout')
  process.exit(2)
}

const started = performance.now()
const {
  createCipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
} = await import('node:crypto')
// node requires `x` in a private JWK and derives the public key from `d` alone (git-seal's trick too).
const DUMMY_X = Buffer.alloc(32, 9).toString('base64url')
const content = Buffer.from('TOKEN_0=0123456789abcdef\n')
const salt = Buffer.alloc(64)
const nonce = Buffer.alloc(12)
const sealed = (key, data) => {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 })
  return Buffer.concat([c.update(data), c.final(), c.getAuthTag()])
}
// The recipient's key pair and, for checkout, the file's ephemeral share: set-up, not per file.
const recipient = generateKeyPairSync('x25519')
const share = generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' }).x

const t0 = first ? started : performance.now()
let x25519Ms = 0
for (let i = 0; i < N; i++) {
  const a = performance.now()
  let shared
  if (op === 'add') {
    // As git-seal makes it (src/age/primitives.ts ephemeralKeyPair): a random scalar imported
    // as JWK, its share read from the JWK export. Not generateKeyPairSync and an export of its
    // key: on Node 20 that deadlocks under GC (seen here, at 10,000 files).
    const privateKey = createPrivateKey({
      key: { kty: 'OKP', crv: 'X25519', d: randomBytes(32).toString('base64url'), x: DUMMY_X },
      format: 'jwk',
    })
    privateKey.export({ format: 'jwk' })
    shared = diffieHellman({ privateKey, publicKey: recipient.publicKey })
  } else {
    const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: share }, format: 'jwk' })
    shared = diffieHellman({ privateKey: recipient.privateKey, publicKey })
  }
  x25519Ms += performance.now() - a
  const wrapKey = Buffer.from(hkdfSync('sha256', shared, salt, 'age-encryption.org/v1/X25519', 32))
  const fileKey = randomBytes(16)
  sealed(wrapKey, fileKey)
  createHmac('sha256', Buffer.from(hkdfSync('sha256', fileKey, Buffer.alloc(0), 'header', 32)))
    .update('age-encryption.org/v1\n-> X25519 share\nbody\n---')
    .digest()
  sealed(Buffer.from(hkdfSync('sha256', fileKey, randomBytes(16), 'payload', 32)), content)
}
const ms = performance.now() - t0
console.log(JSON.stringify(first ? { ms } : { ms, x25519Ms }))
