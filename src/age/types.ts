/** The two interfaces every recipient and identity type implements (as typage's). */
import type { Stanza } from './header.js'

export interface Recipient {
  wrapFileKey(fileKey: Uint8Array): Stanza[]
}

/**
 * Returns the file key, or null when no stanza is for this identity.
 * Throws AgeError('bad-header') when a stanza of its own type is malformed.
 */
export interface Identity {
  unwrapFileKey(stanzas: Stanza[]): Uint8Array | null
}
