#!/usr/bin/env node
// Entry point for a consuming repository's `prepare` script (and `npx git-seal install`):
// registers git-seal in the clone around the current directory. Outside a git work tree
// (an npm install of a package tarball, a CI cache) it does nothing and succeeds.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const inside = spawnSync('git', ['rev-parse', '--is-inside-work-tree'], { encoding: 'utf8' })
if (inside.status !== 0 || inside.stdout.trim() !== 'true') process.exit(0)
const bundle = fileURLToPath(new URL('./dist/git-seal.mjs', import.meta.url))
const result = spawnSync(process.execPath, [bundle, 'install', ...process.argv.slice(2)], { stdio: 'inherit' })
process.exit(result.status ?? 1)
