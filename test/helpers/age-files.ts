/** Hostile age files for the limits tests (age layer and end to end). */
import { encrypt, generateIdentity, identityToRecipient, parseRecipient } from '../../src/age/index.js'

/**
 * An age file whose header repeats a stranger's stanza `count - 1` times, then holds one for
 * `identity`: tried in order, it would open only after `count - 1` key exchanges (and then fail
 * its MAC, which covers the original one-stanza header).
 */
export function hostileAgeFile(count: number, identity: string): Buffer {
  const stranger = Buffer.from(
    encrypt(Buffer.from('x'), [parseRecipient(identityToRecipient(generateIdentity()))]),
  ).toString('latin1')
  const ours = Buffer.from(encrypt(Buffer.from('x'), [parseRecipient(identityToRecipient(identity))])).toString(
    'latin1',
  )
  const stanza = (file: string): string => file.slice(file.indexOf('\n') + 1, file.indexOf('\n---') + 1)
  return Buffer.from(
    'age-encryption.org/v1\n' +
      stanza(stranger).repeat(count - 1) +
      stanza(ours) +
      ours.slice(ours.indexOf('\n---') + 1),
    'latin1',
  )
}
