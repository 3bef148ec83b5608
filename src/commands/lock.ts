/**
 * `git-seal lock [--force]` puts ciphertext back in the work tree for every secret and marks
 * the clone locked (smudge then keeps ciphertext even with a key at hand); `git-seal unlock`
 * clears the mark and decrypts again. `git status` stays clean across both.
 */
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { repoPaths, stateDir } from '../git/repo.js'
import { gitBytes } from '../git/run.js'
import { checkoutAgain, filesHoldingStoredBytes, secretEntries } from '../git/worktree.js'
import { Fingerprints } from '../seal/fingerprints.js'
import { UserError, info } from '../ui.js'

function root(): { top: string; state: string } {
  const paths = repoPaths()
  if (!paths.top) throw new UserError('git-seal needs a work tree; this repository is bare')
  return { top: paths.top, state: stateDir(paths, true) }
}

export function lock(args: string[]): number {
  const { values } = parseArgs({ args, options: { force: { type: 'boolean', short: 'f' } } })
  const { top, state } = root()
  const secrets = secretEntries(top)
  if (!values.force && secrets.length > 0) {
    const changed = gitBytes(['diff', '--name-only', '-z', '--', ...secrets.map((s) => `:(literal)${s.path}`)], { cwd: top })
      .toString('utf8')
      .split('\0')
      .filter(Boolean)
    if (changed.length > 0) {
      throw new UserError(`${changed.length} secret file(s) have changes not staged: ${changed.slice(0, 5).join(', ')}${changed.length > 5 ? ', …' : ''}`, "stage or commit them first ('git add'), or 'git-seal lock --force' to discard those edits")
    }
  }
  writeFileSync(join(state, 'locked'), 'locked by git-seal lock\n')
  // With no plaintext left in the work tree, fingerprints would only help someone test guesses.
  Fingerprints.erase(state)
  checkoutAgain(
    top,
    secrets.map((s) => s.path),
  )
  info(`locked: ${secrets.length} secret file(s) hold ciphertext; 'git-seal unlock' decrypts them`)
  return 0
}

export function unlock(args: string[]): number {
  if (args.length > 0) throw new UserError('usage: git-seal unlock')
  const { top, state } = root()
  rmSync(join(state, 'locked'), { force: true })
  const stale = filesHoldingStoredBytes(top, secretEntries(top))
  checkoutAgain(
    top,
    stale.map((s) => s.path),
  )
  info(`unlocked: decrypted ${stale.length} secret file(s)`)
  return 0
}

export const run = lock
