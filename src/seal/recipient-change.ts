/**
 * How the recipients a stored blob is for differ from those the config names for it: one
 * comparison for status, rekey, sops re-encryption and verify, so that they never disagree on
 * who was added or removed.
 */

export interface RecipientChange {
  /** configured, but the blob is not encrypted to them (yet) */
  added: string[]
  /** the blob is encrypted to them, but the config no longer names them */
  removed: string[]
}

/** Compares keys as given (in the same form on both sides: age recipients, or ssh keys as written). */
export function recipientChange(configured: readonly string[], recorded: readonly string[]): RecipientChange {
  return {
    added: configured.filter((k) => !recorded.includes(k)),
    removed: recorded.filter((k) => !configured.includes(k)),
  }
}
