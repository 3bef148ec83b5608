/**
 * How a decryption of the work tree is reported (install, init, unlock): what was decrypted,
 * what was left encrypted and why, one hint per reason. Shared by those commands; not a command.
 */
import { NO_KEY_HINT } from '../../seal/context.js'
import type { DecryptOutcome, KeptReason } from '../../seal/worktree-decrypt.js'
import { printHint, warning } from '../../ui.js'

const MAX_NAMED = 20

const HINTS: Record<KeptReason, string> = {
  'no-key': NO_KEY_HINT,
  'not-for-you':
    "they are encrypted to other recipients ('git-seal recipients' shows who reads what); an admin adds you with 'git-seal add-recipient' and rekeys",
  damaged: "the blob in git is damaged or was tampered with; restore it from another commit ('git log -- PATH')",
  locked: "run 'git-seal unlock' to decrypt",
  filter: "'git-seal status' says why",
}

/**
 * Prints what a decryption really did: the count decrypted, then each file left encrypted
 * (the first {@link MAX_NAMED} named) with why, and one hint per reason.
 */
export function reportDecryption(outcome: DecryptOutcome, say: (message: string) => void): void {
  if (outcome.decrypted.length > 0) say(`decrypted ${outcome.decrypted.length} secret file(s)`)
  // Secrets for other recipients are the usual state of a clone with a target's key (CI, a
  // server): one line, not a warning each with a hint about where keys live.
  const notForYou = outcome.kept.filter((k) => k.reason === 'not-for-you').length
  if (notForYou > 0) {
    say(
      `${notForYou} secret${notForYou === 1 ? ' is' : 's are'} not encrypted to you; they stay encrypted ('git-seal recipients PATH' says who reads a file)`,
    )
    outcome = { ...outcome, kept: outcome.kept.filter((k) => k.reason !== 'not-for-you') }
  }
  for (const k of outcome.kept.slice(0, MAX_NAMED)) warning(`${k.path}: left encrypted: ${k.detail}`)
  if (outcome.kept.length > MAX_NAMED) warning(`${outcome.kept.length - MAX_NAMED} more secret file(s) left encrypted`)
  for (const reason of new Set(outcome.kept.map((k) => k.reason))) printHint(HINTS[reason])
  if (outcome.unencrypted.length > 0) {
    warning(
      `${outcome.unencrypted.length} secret file(s) are stored in git without encryption: ${outcome.unencrypted.slice(0, 5).join(', ')}${outcome.unencrypted.length > 5 ? ', …' : ''}`,
      "'git add' them and commit to store them encrypted (their history still holds the plaintext: rotate them)",
    )
  }
}
