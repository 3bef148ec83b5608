/**
 * What the code-cached bodies (dist/hot.body.js, dist/textconv.body.js) import as
 * `age-encryption` (scripts/build.mjs aliases it here for them): the library and the
 * post-quantum and curve code under it are about half of a body's bytes, and only hybrid
 * recipients use them, so they live in dist/vendor/age-encryption.cjs, loaded on first use
 * (vendor.ts). Every start reads and hashes its body; this keeps ~310 KB out of it. Only the
 * names git-seal uses.
 */
import type * as AgeEncryption from 'age-encryption'
import { requireVendored } from './vendor.js'

let lib: typeof AgeEncryption | undefined
const age = (): typeof AgeEncryption => (lib ??= requireVendored<typeof AgeEncryption>('age-encryption'))

// Classes: `new Encrypter()` calls this function, whose returned object is the instance.
// biome-ignore lint/complexity/useArrowFunction: called with `new`, which an arrow function cannot be
export const Encrypter = function (...args: ConstructorParameters<typeof AgeEncryption.Encrypter>) {
  return new (age().Encrypter)(...args)
} as unknown as typeof AgeEncryption.Encrypter
// biome-ignore lint/complexity/useArrowFunction: called with `new`, which an arrow function cannot be
export const Stanza = function (...args: ConstructorParameters<typeof AgeEncryption.Stanza>) {
  return new (age().Stanza)(...args)
} as unknown as typeof AgeEncryption.Stanza
