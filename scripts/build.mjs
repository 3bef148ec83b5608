// Bundles src/cli.ts into one self-contained file: one file loads faster than many modules, and
// `install` copies it into the clone's git directory so the registered filter never depends on
// node_modules or an npx cache.
import { build } from 'esbuild'
import { chmodSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const outfile = `${root}dist/git-seal.mjs`
await build({
  entryPoints: [`${root}src/cli.ts`],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __gitSealRequire } from 'node:module'; const require = __gitSealRequire(import.meta.url);",
  },
  legalComments: 'none',
  logLevel: 'warning',
})
chmodSync(outfile, 0o755)
