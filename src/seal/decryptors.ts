/**
 * What textconv's ciphertext path needs (identities, reading stored blobs), handed to
 * commands/textconv.ts so its plaintext path loads none of it: cli.ts loads them on demand
 * (commands/textconv-decryptors.ts), the textconv entry (src/textconv.ts) statically.
 * A type only: importing it loads nothing.
 */
export interface Decryptors {
  loadIdentities: typeof import('../keys/identities.js').loadIdentities
  openStored: typeof import('./stored.js').openStored
  placeholder: typeof import('./stored.js').placeholder
  storedKind: typeof import('./stored.js').storedKind
}
