/**
 * Libraries the bundle loads only when a request needs them (`yaml`, `picomatch`): most filter
 * starts need neither (the config comes from its cache, an age file needs no YAML), and loading
 * them cost a start 10-15 ms. scripts/build.mjs bundles each one into `dist/vendor/NAME.cjs`
 * and points the bundle's imports of it at the shim next to this file, which `require`s the
 * vendored copy on first use: synchronously, so no caller changes.
 *
 * Run from sources (the unit tests), nothing is aliased and these shims are not used.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

/**
 * The vendored copy of `name`, loaded once. The shim lands in the entry file (dist/) or in a
 * chunk (dist/chunks/), so both places are looked at; never a `node_modules` up the tree: an
 * installed copy lives in `.git/git-seal/dist`, under the user's own project.
 * @throws {Error} when the vendored file is missing (an incomplete copy of dist/).
 */
export function requireVendored<T>(name: 'yaml' | 'picomatch' | 'age-encryption'): T {
  const require = createRequire(import.meta.url)
  for (const rel of [`../vendor/${name}.cjs`, `./vendor/${name}.cjs`]) {
    const file = fileURLToPath(new URL(rel, import.meta.url))
    if (existsSync(file)) return require(file) as T
  }
  throw new Error(
    `git-seal: ${name} is missing from the installed bundle (dist/vendor/${name}.cjs); run 'npx git-seal install' again`,
  )
}
