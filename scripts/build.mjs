// Bundles src/cli.ts into dist/: the entry git-seal.mjs plus chunks loaded on demand, so a
// command loads only what it uses (textconv runs once per file side in `git diff`). Nothing
// outside dist/ is needed at run time: `install` copies dist/ into the clone's git directory,
// so the registered filter never depends on node_modules or an npx cache.
//
// Start-up matters (git starts the filter for every command that touches a secret):
// - dist/hot.mjs (the filter, one-shot clean/smudge) and dist/textconv.mjs (textconv's
//   ciphertext path), each built on its own so it loads one file at start, not the twenty
//   chunks the CLI's commands share (src/hot.ts, src/textconv.ts).
// - `yaml` and `picomatch` are not in the bundle: each is bundled on its own into
//   dist/vendor/NAME.cjs, and the bundle's imports of them go to shims (src/lazy/) that load it
//   on first use. Most starts need neither: the config comes from its cache.
// - GIT_SEAL_BUILD_ID, a hash of what the bundle is built from, keys that cache
//   (src/config/cache.ts): a cache another build wrote is never read as a config.
import { build } from 'esbuild'
import { createHash } from 'node:crypto'
import { chmodSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const { version } = JSON.parse(readFileSync(`${root}package.json`, 'utf8'))

/** Every file under src/, plus the lock file, hashed in a fixed order. */
function buildId() {
  const hash = createHash('sha256')
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name)
      if (statSync(p).isDirectory()) walk(p)
      else
        hash
          .update(`${p.slice(root.length)}\0`)
          .update(readFileSync(p))
          .update('\0')
    }
  }
  walk(join(root, 'src'))
  hash.update(readFileSync(join(root, 'package-lock.json')))
  return hash.digest('hex').slice(0, 32)
}

/** Libraries loaded on first use, each bundled alone (CommonJS, so the shim can require it). */
const VENDORED = ['yaml', 'picomatch']
/**
 * Only the code-cached bodies load these from dist/vendor/ (the ESM entries keep them in an
 * on-demand chunk): age-encryption and what it pulls in (post-quantum, curves), for hybrid
 * recipients only, would otherwise be half of each body, read and hashed at every start.
 */
const BODY_VENDORED = ['age-encryption']
const BODY_VENDORED_ALIAS = Object.fromEntries(BODY_VENDORED.map((name) => [name, `./src/lazy/${name}.ts`]))

rmSync(`${root}dist`, { recursive: true, force: true })
const common = {
  absWorkingDir: root,
  outdir: `${root}dist`,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  alias: Object.fromEntries(VENDORED.map((name) => [name, `./src/lazy/${name}.ts`])),
  // `git-seal --version` prints package.json's version, fixed at build time.
  define: { GIT_SEAL_VERSION: JSON.stringify(version), GIT_SEAL_BUILD_ID: JSON.stringify(buildId()) },
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __gitSealRequire } from 'node:module'; const require = __gitSealRequire(import.meta.url);",
  },
  legalComments: 'none',
  logLevel: 'warning',
}
// The CLI. The worker that makes age headers ahead is an entry of its own, found next to the
// entry that starts it.
await build({
  ...common,
  entryPoints: { 'git-seal': `${root}src/cli.ts`, 'prewrap-worker': `${root}src/age/prewrap-worker.ts` },
})
// What git starts per command (src/hot.ts), built alone so that all it loads at start is one
// file; its on-demand chunks land in chunks/ too (named by content, so never clobbering).
await build({ ...common, entryPoints: { hot: `${root}src/hot.ts` } })
// textconv's ciphertext path (src/textconv.ts), the same way.
await build({ ...common, entryPoints: { textconv: `${root}src/textconv.ts` } })
// The same two programs as the launcher starts them (src/startup/code-cache.ts): each one a
// CommonJS body (dist/NAME.body.js, every on-demand part included: CommonJS has no chunks)
// that a small CommonJS loader (dist/NAME.cjs) compiles with a V8 code cache. ASCII output,
// so the loader can read the body as latin1 (the cheapest exact decoding). The .mjs entries
// above stay for launchers an older install wrote.
for (const name of ['hot', 'textconv']) {
  await build({
    ...common,
    entryPoints: [`${root}src/${name}.ts`],
    outdir: undefined,
    outExtension: undefined,
    outfile: `${root}dist/${name}.body.js`,
    splitting: false,
    format: 'cjs',
    charset: 'ascii',
    // The body is not a module file Node loads: the loader hands it require and import.meta.
    define: { ...common.define, 'import.meta': '__gitSealMeta' },
    // Built-ins a one-secret start never uses, loaded on first use (src/lazy/builtins.ts).
    alias: {
      ...common.alias,
      'node:worker_threads': './src/lazy/builtins.ts',
      'node:zlib': './src/lazy/builtins.ts',
      'node:child_process': './src/lazy/builtins.ts',
      'node:os': './src/lazy/builtins.ts',
      'node:v8': './src/lazy/builtins.ts',
      ...BODY_VENDORED_ALIAS,
    },
    banner: {},
  })
  // esbuild's ASCII charset escapes every string, regular expression and name; only comments
  // keep their characters. The loader decodes the body as latin1: prove that is exact
  // wherever it matters (a non-ASCII character outside a comment line fails the build).
  const body = readFileSync(`${root}dist/${name}.body.js`, 'latin1').split('\n')
  const outside = body.findIndex((line) => /[^\x00-\x7f]/.test(line) && !/^\s*(\*|\/\/|\/\*)/.test(line))
  if (outside !== -1) throw new Error(`dist/${name}.body.js:${outside + 1}: a non-ASCII character outside a comment`)
  await build({
    absWorkingDir: root,
    entryPoints: [`${root}src/startup/entry.ts`],
    outfile: `${root}dist/${name}.cjs`,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    define: { GIT_SEAL_ENTRY: JSON.stringify(name) },
    legalComments: 'none',
    logLevel: 'warning',
  })
}
for (const name of [...VENDORED, ...BODY_VENDORED]) {
  await build({
    absWorkingDir: root,
    stdin: {
      contents: `module.exports = require(${JSON.stringify(name)})`,
      resolveDir: root,
      sourcefile: `vendor-${name}.cjs`,
    },
    outfile: `${root}dist/vendor/${name}.cjs`,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  })
}
chmodSync(`${root}dist/git-seal.mjs`, 0o755)
