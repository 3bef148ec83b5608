/**
 * `git-seal sync`: rewrite the .gitattributes block from .gitseal.yaml, then encrypt in the
 * index the tracked secrets still staged in plaintext (src/operations/sync.ts); says what it
 * could not re-stage, and exits 1 then.
 */
import { CONFIG_FILE } from '../config/index.js'
import { syncRepository } from '../operations/sync.js'
import { info, renormalizeCommand, warning } from '../ui.js'

export async function run(): Promise<number> {
  const { attributesUpdated, renormalized, committedInPlaintext, stagedInPlaintext } = await syncRepository()
  info(attributesUpdated ? 'updated .gitattributes; commit it with .gitseal.yaml' : '.gitattributes is up to date')
  const { encrypted, modified, failed } = renormalized
  if (encrypted.length > 0) {
    info(
      `encrypted in the index ${encrypted.length} tracked file(s) that ${CONFIG_FILE} makes secrets (git add --renormalize): ${encrypted.map((e) => e.path).join(', ')}; commit them`,
    )
    if (committedInPlaintext.length > 0)
      warning(
        `committed in plaintext before, so readable in history: ${committedInPlaintext.join(', ')}`,
        'rotate what they hold if that history was ever pushed',
      )
    if (stagedInPlaintext.length > 0)
      warning(
        `the plaintext staged earlier stays in .git/objects as an unreferenced blob: ${stagedInPlaintext.join(', ')}`,
        "'git gc --prune=now' removes it once nothing refers to it",
      )
  }
  for (const path of modified) {
    warning(
      `${path} is a secret still in plaintext in the index; not re-staged: its work tree copy differs from the index (or is missing), and re-staging it would stage that copy`,
      `stage it encrypted yourself: ${renormalizeCommand([path])}`,
    )
  }
  for (const { path, why } of failed) {
    warning(
      `${path} is a secret still in plaintext in the index: ${why}`,
      `run 'git-seal install' if this clone lacks the filter, then ${renormalizeCommand([path])}`,
    )
  }
  return modified.length + failed.length > 0 ? 1 : 0
}
