/**
 * The loader of one entry git starts (dist/hot.cjs, dist/textconv.cjs): runs the program beside
 * it (dist/NAME.body.js) through the code cache (code-cache.ts). scripts/build.mjs builds this
 * file once per entry, with GIT_SEAL_ENTRY set to its name.
 */
import { join } from 'node:path'
import { runWithCodeCache } from './code-cache.js'

declare const GIT_SEAL_ENTRY: string

const body = join(__dirname, `${GIT_SEAL_ENTRY}.body.js`)
try {
  runWithCodeCache(body, GIT_SEAL_ENTRY)
} catch (e) {
  // Only reading the body throws here (the body reports its own errors): an incomplete copy.
  process.stderr.write(`git-seal: error: cannot load ${body}: ${(e as Error).message}\ngit-seal: hint: run 'npx git-seal install' again\n`)
  process.exitCode = 70
}
