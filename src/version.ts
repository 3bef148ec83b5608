/** package.json's version, defined at build time by scripts/build.mjs (esbuild `define`). */
declare const GIT_SEAL_VERSION: string | undefined

/** This build's version; `0.0.0-dev` when run from sources (tests import modules directly). */
export const VERSION: string = typeof GIT_SEAL_VERSION === 'string' ? GIT_SEAL_VERSION : '0.0.0-dev'
