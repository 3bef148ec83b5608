/**
 * The old name of src/seal/plaintext-macs.ts, kept while src/commands (lock, uninstall) still
 * import it (issue 15: "fingerprint" is the short key fingerprint `recipients` shows).
 */
/** @deprecated use PlaintextMacs from './plaintext-macs.js' */
export { PlaintextMacs as Fingerprints } from './plaintext-macs.js'
