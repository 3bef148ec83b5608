/** textconv's ciphertext path, imported on demand by src/cli/table.ts (see commands/textconv.ts). */
import type { Decryptors } from '../seal/decryptors.js'

export async function loadDecryptors(): Promise<Decryptors> {
  const [identities, stored] = await Promise.all([import('../keys/identities.js'), import('../seal/stored.js')])
  return {
    loadIdentities: identities.loadIdentities,
    openStored: stored.openStored,
    placeholder: stored.placeholder,
    storedKind: stored.storedKind,
  }
}
