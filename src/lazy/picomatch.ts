/**
 * What the bundle imports as `picomatch` (scripts/build.mjs aliases it here): `makeRe`, loading
 * the vendored library on first use (vendor.ts). With the config cache (config/cache.ts) the
 * compiled patterns come from the cache, and picomatch is not loaded at all.
 */
import type Picomatch from 'picomatch'
import { requireVendored } from './vendor.js'

let lib: typeof Picomatch | undefined
const picomatch = (): typeof Picomatch => (lib ??= requireVendored<typeof Picomatch>('picomatch'))

export default {
  makeRe: ((...args: Parameters<typeof Picomatch.makeRe>) => picomatch().makeRe(...args)) as typeof Picomatch.makeRe,
}
