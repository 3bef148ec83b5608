/** package.json's version, defined at build time by scripts/build.mjs (esbuild `define`). */
declare const GIT_SEAL_VERSION: string | undefined

/** The version of this build: `git-seal --version`, and the tool version in a SARIF log. */
export function gitSealVersion(): string {
  // Run from sources (tests importing modules directly) there is no build, hence no version.
  return typeof GIT_SEAL_VERSION === 'string' ? GIT_SEAL_VERSION : 'unknown (not built)'
}
