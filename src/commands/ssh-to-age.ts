/**
 * `git-seal ssh-to-age [FILE.pub | -] [--private FILE]`: the X25519 recipient (or identity) an
 * ed25519 SSH key converts to, exactly as ssh-to-age and sops-nix compute it.
 */
import { readFileSync } from 'node:fs'
import { sshToAgeIdentity, sshToAgeRecipient } from '../age/index.js'
import { askPassphrase } from '../keys/passphrase.js'
import { UserError, printResult } from '../ui.js'

export function run({ values, positionals }: { values: { private?: string }; positionals: string[] }): number {
  if (values.private) {
    printResult(
      sshToAgeIdentity(readFileSync(values.private, 'utf8'), () => askPassphrase(`passphrase for ${values.private}`)),
    )
    return 0
  }
  const source = positionals[0] ?? '-'
  const text = readFileSync(source === '-' ? 0 : source, 'utf8')
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
  if (lines.length === 0)
    throw new UserError(
      `no public key in ${source === '-' ? 'stdin' : source}`,
      'give an ssh-ed25519 public key (a .pub file or its line on stdin)',
    )
  printResult(lines.map((l) => sshToAgeRecipient(l)).join('\n'))
  return 0
}
