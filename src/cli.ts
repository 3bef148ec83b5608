/**
 * Entry point (scripts/build.mjs bundles it as dist/git-seal.mjs): argv -> src/cli/main.ts.
 * Commands are declared in src/cli/table.ts and imported when they run, so that the hot entry
 * points (filter-process, textconv) load only what they need.
 */
import { main } from './cli/main.js'

main(process.argv.slice(2)).then((status) => {
  process.exitCode = status
})
