/**
 * `git-seal scanner-allowlist [--format gitleaks] [-o FILE]`: prints (or writes) the allowlist
 * that keeps secret scanners from reporting git-seal's ciphertext (src/operations/scanner-allowlist.ts).
 * With -o, a new file gets a whole config (gitleaks' default rules extended); a file that
 * holds the block from an earlier run gets it replaced; any other file is left alone.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { gitleaksBlock, gitleaksConfig, replaceGitleaksBlock } from '../operations/scanner-allowlist.js'
import { UserError, info, printResult } from '../ui.js'
import { UsageError } from '../errors.js'

export async function run({ values }: { values: { format?: string; output?: string } }): Promise<number> {
  const format = values.format ?? 'gitleaks'
  if (format === 'trufflehog') {
    // trufflehog (v3) allowlists paths only (--exclude-paths): exactly what must not be done here.
    throw new UserError(
      'trufflehog has no allowlist by content, only by path, and a path allowlist would hide plaintext committed at a secret path',
      "run trufflehog with '--results=verified': git-seal's ciphertext never verifies as a live credential",
    )
  }
  if (format !== 'gitleaks')
    throw new UsageError(`unknown format '${format}' for '--format'`, 'use --format gitleaks (the default)')
  const file = values.output
  if (file === undefined) {
    printResult(gitleaksConfig())
    return 0
  }
  if (!existsSync(file)) {
    writeFileSync(file, gitleaksConfig())
    info(`wrote ${file}: gitleaks' default rules, and git-seal's ciphertext allowed (gitleaks >= 8.25)`)
    return 0
  }
  const existing = readFileSync(file, 'utf8')
  const replaced = replaceGitleaksBlock(existing)
  if (replaced === null) {
    throw new UserError(
      `${file} exists and holds no git-seal allowlist block`,
      `add this block to it by hand (it needs gitleaks >= 8.25 and no old-style [allowlist] table):\n${gitleaksBlock().trimEnd()}`,
    )
  }
  if (replaced === existing) info(`${file} is up to date`)
  else {
    writeFileSync(file, replaced)
    info(`updated the git-seal allowlist in ${file}`)
  }
  return 0
}
