/**
 * The parsed `.gitseal.yaml`, cached for the filter: parsing and validating it (and loading the
 * YAML parser and picomatch to do so) cost every filter start 10-25 ms, for a file that rarely
 * changes.
 *
 * The cache is keyed by a hash of the file's content and of the build that parsed it, never by
 * stat: a config edited within one timestamp tick, or by a tool that restores mtimes, would
 * otherwise encrypt to recipients it no longer names. A build parses into its own shape, so a
 * cache another version of git-seal wrote (the installed filter and `npx git-seal` share the
 * directory) is a miss, not a config. Any doubt (missing, unreadable, malformed, another key) is
 * a miss, which parses as before; an invalid config is never cached, so it fails the same way
 * every time. Best effort: a cache that cannot be written costs the next start a parse.
 */
import { createHash } from 'node:crypto'
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { STATE_FILES } from '../git/state-dir.js'
import { compiledPattern, seedCompiledPatterns } from './match.js'
import { readRepositoryFile } from './read-file.js'
import { CONFIG_FILE, MAX_CONFIG_BYTES, parseConfig, type SealConfig } from './schema.js'

/** The cache's file name in git-seal's state directory. */
export const CONFIG_CACHE_FILE = STATE_FILES.configCache

/** Set by scripts/build.mjs: a hash of the sources and dependencies the bundle was built from. */
declare const GIT_SEAL_BUILD_ID: string | undefined

/** The running build's id, or null when running from sources (then nothing is cached). */
export function runningBuildId(): string | null {
  return typeof GIT_SEAL_BUILD_ID === 'string' ? GIT_SEAL_BUILD_ID : null
}

interface CacheFile {
  key: string
  config: SealConfig
  patterns: { pattern: string; source: string; flags: string }[]
}

function cacheKey(build: string, text: string): string {
  return createHash('sha256').update(`git-seal config cache\0${build}\0`).update(text).digest('hex')
}

function readCache(file: string, key: string): CacheFile | null {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    return null // missing or malformed: a miss
  }
  const c = parsed as Partial<CacheFile> | null
  if (
    !c ||
    c.key !== key ||
    !c.config ||
    !Array.isArray(c.config.secrets) ||
    !Array.isArray(c.config.groups) ||
    !Array.isArray(c.patterns)
  )
    return null
  return c as CacheFile
}

function writeCache(file: string, key: string, config: SealConfig): void {
  const tmp = `${file}.${process.pid}`
  try {
    const patterns = [...new Set(config.secrets.flatMap((s) => s.patterns))].map((pattern) => ({
      pattern,
      ...compiledPattern(pattern),
    }))
    writeFileSync(tmp, JSON.stringify({ key, config, patterns } satisfies CacheFile), { mode: 0o600 })
    renameSync(tmp, file)
  } catch {
    // No state directory (not installed here) or not writable: the next start parses again.
    rmSync(tmp, { force: true })
  }
}

/**
 * `<root>/.gitseal.yaml`, parsed, from the cache in `stateDir` when it holds this content.
 * @param stateDir git-seal's state directory, or null to parse without the cache.
 * @param build the running build's id ({@link runningBuildId}); null parses without the cache.
 * @returns null when there is no config file.
 * @throws {ConfigError} when it is invalid, or is a link, not a regular file, or too large.
 */
export function loadConfigCached(
  root: string,
  stateDir: string | null,
  build: string | null = runningBuildId(),
): SealConfig | null {
  const text = readRepositoryFile(join(root, CONFIG_FILE), CONFIG_FILE, MAX_CONFIG_BYTES)
  if (text === null) return null
  if (stateDir === null || build === null) return parseConfig(text, CONFIG_FILE)
  const key = cacheKey(build, text)
  const file = join(stateDir, CONFIG_CACHE_FILE)
  const cached = readCache(file, key)
  if (cached) {
    seedCompiledPatterns(cached.patterns)
    return cached.config
  }
  const config = parseConfig(text, CONFIG_FILE)
  writeCache(file, key, config)
  return config
}
