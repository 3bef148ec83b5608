/**
 * The loader of one entry git starts (dist/hot.cjs, dist/textconv.cjs): runs the program beside
 * it (dist/NAME.body.js) through the code cache (code-cache.ts). scripts/build.mjs builds this
 * file once per entry, with GIT_SEAL_ENTRY set to its name.
 */
import { join } from 'node:path'
import { CONVERSION_ATTRIBUTES } from '../git/attributes.js'
import { runWithCodeCache } from './code-cache.js'
import { prestartCheckAttr } from '../git/check-attr-prestart.js'
import { blockLikelyDecides } from '../git/block-attributes.js'

declare const GIT_SEAL_ENTRY: string

const body = join(__dirname, `${GIT_SEAL_ENTRY}.body.js`)
// The filter asks check-attr about its first file unless git-seal's block decides its
// attributes alone (git/block-attributes.ts): started now, the child gets ready meanwhile.
if (GIT_SEAL_ENTRY === 'hot' && process.argv[2] === 'filter-process' && !blockLikelyDecides(process.cwd()))
  prestartCheckAttr(CONVERSION_ATTRIBUTES)
try {
  runWithCodeCache(body, GIT_SEAL_ENTRY)
} catch (e) {
  // Only reading the body throws here (the body reports its own errors): an incomplete copy.
  process.stderr.write(
    `git-seal: error: cannot load ${body}: ${(e as Error).message}\ngit-seal: hint: run 'npx git-seal install' again\n`,
  )
  process.exitCode = 70
}
