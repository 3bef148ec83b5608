// Bundles src/cli.ts into dist/: the entry git-seal.mjs plus chunks loaded on demand, so a
// command loads only what it uses (textconv runs once per file side in `git diff`). Nothing
// outside dist/ is needed at run time: `install` copies dist/ into the clone's git directory,
// so the registered filter never depends on node_modules or an npx cache.
import { build } from 'esbuild'
import { chmodSync, readFileSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const { version } = JSON.parse(readFileSync(`${root}package.json`, 'utf8'))
rmSync(`${root}dist`, { recursive: true, force: true })
await build({
  // The worker that makes age headers ahead is an entry of its own, found next to git-seal.mjs.
  entryPoints: { 'git-seal': `${root}src/cli.ts`, 'prewrap-worker': `${root}src/age/prewrap-worker.ts` },
  outdir: `${root}dist`,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __gitSealRequire } from 'node:module'; const require = __gitSealRequire(import.meta.url);",
  },
  // `git-seal --version` prints package.json's version, fixed at build time.
  define: { GIT_SEAL_VERSION: JSON.stringify(version) },
  legalComments: 'none',
  logLevel: 'warning',
})
chmodSync(`${root}dist/git-seal.mjs`, 0o755)
