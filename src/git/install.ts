/**
 * What `install` puts in a clone and `uninstall` takes out: a self-contained copy of git-seal
 * and a launcher under <common git dir>/git-seal/, and the rows of the config table.
 */
import { spawnSync } from 'node:child_process'
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import {
  CIPHERTEXT_ARG,
  CIPHERTEXT_PROCESS_COMMAND,
  CONFIG_SECTIONS,
  CONFIG_TABLE,
  ESCAPE_HATCH_HINT,
  FORBIDDEN_KEYS,
  NO_FILTER,
  PROCESS_COMMAND,
} from './install-table.js'
import { GUARD_QUICK_FUNCTION, GUARD_STAMP_NAME } from './guard-precheck.js'
import type { RepoPaths } from './repo.js'
import { ALL_STATE_FILES, STATE_FILES, stateDir } from './state-dir.js'
import { git, gitMaybe } from './run.js'

export const BUNDLE_NAME = 'git-seal.mjs'
/** The entry of the commands git starts (src/hot.ts), next to {@link BUNDLE_NAME}. */
export const HOT_BUNDLE_NAME = 'hot.mjs'
/** The entry of textconv's ciphertext path (src/textconv.ts). */
export const TEXTCONV_BUNDLE_NAME = 'textconv.mjs'
/**
 * The same two as a CommonJS loader that runs the program with a V8 code cache
 * (src/startup/code-cache.ts): what the launcher prefers, when this copy has it.
 */
export const HOT_CACHED_NAME = 'hot.cjs'
export const TEXTCONV_CACHED_NAME = 'textconv.cjs'
/** The installed copy of dist/: entry plus content-hashed chunks. */
export const DIST_DIR = STATE_FILES.dist
export const LAUNCHER_NAME = STATE_FILES.launcher
/** Libraries the bundle loads on first use (scripts/build.mjs, src/lazy/). */
export const VENDOR_DIR = 'vendor'

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`
}

/**
 * The launcher git runs. It prefers the node that ran install (GUI git clients often have no
 * node on PATH), falls back to PATH (after a Node upgrade removed that one), and explains
 * itself when neither works: with filter.required=true a silent failure would break git. When
 * it cannot run git-seal, it still answers as a filter that filters nothing ({@link NO_FILTER}),
 * and textconv prints the file as it is, so the escape hatch `-c filter.git-seal.required=false`
 * works for checkout, switch, reset, status and diff.
 *
 * `guard` (every commit, merge and am) first runs the sh pre-check (guard-precheck.ts): a commit
 * that stages no secret and changes no configuration goes on without starting Node.
 */
export function launcherScript(nodePath: string): string {
  return `#!/bin/sh
# Written by 'git-seal install'; 'git-seal uninstall' removes it.
node=${shellQuote(nodePath)}
[ -x "$node" ] || node=$(command -v node 2>/dev/null) || node=
# No subshell: textconv starts this once per file side.
case $0 in */*) dir=\${0%/*} ;; *) dir=. ;; esac
bundle="$dir/${DIST_DIR}/${BUNDLE_NAME}"
# What git starts per command has an entry of its own (src/hot.ts, src/textconv.ts), when this
# copy has one: the code-cached loader first (src/startup/code-cache.ts), then the module.
case $1 in
  filter-process|clean|smudge) for e in ${HOT_CACHED_NAME} ${HOT_BUNDLE_NAME}; do [ -f "$dir/${DIST_DIR}/$e" ] && { bundle="$dir/${DIST_DIR}/$e"; break; }; done ;;
  textconv) for e in ${TEXTCONV_CACHED_NAME} ${TEXTCONV_BUNDLE_NAME}; do [ -f "$dir/${DIST_DIR}/$e" ] && { bundle="$dir/${DIST_DIR}/$e"; break; }; done ;;
esac
${GUARD_QUICK_FUNCTION}
# The hook shim ran the same pre-check already (GIT_SEAL_PRECHECKED): not twice.
if [ "$1" = guard ] && [ $# -eq 1 ] && [ -z "\${GIT_SEAL_PRECHECKED:-}" ] && guard_quick; then exit 0; fi
if [ -n "$node" ] && [ -f "$bundle" ]; then exec "$node" "$bundle" "$@"; fi
if [ -z "$node" ]; then
  echo "git-seal: error: node not found (was ${nodePath.replace(/["$`\\]/g, '')}, and none on PATH)" >&2
  echo "git-seal: hint: install Node.js >= 20.19 and run 'npx git-seal install' again" >&2
else
  echo "git-seal: error: $bundle is missing" >&2
  echo "git-seal: hint: run 'npx git-seal install' again" >&2
fi
echo "git-seal: hint: ${ESCAPE_HATCH_HINT}" >&2
case $1 in
  filter-process) ${NO_FILTER} ;;
  textconv) exec cat -- "$2" ;;
esac
exit 1
`
}

/**
 * `-c` settings that make git use the running build's filter (this node, this bundle) rather
 * than the installed launcher, which may be missing or outdated: for uninstall, which must
 * put ciphertext back whatever state the installation is in.
 */
export function runningFilterConfig(
  entry: string = process.argv[1] ?? '',
  nodePath: string = process.execPath,
): string[] {
  const command = `${shellQuote(nodePath)} ${shellQuote(entry)} filter-process`
  return [
    `filter.git-seal.process=${command}`,
    'filter.git-seal.required=true',
    `filter.git-seal-ct.process=${command} ${CIPHERTEXT_ARG}`,
    'filter.git-seal-ct.required=true',
  ]
}

/**
 * Copies the running build (entries and chunks) and writes the launcher. Chunks are named by
 * content hash and copied first, and the entry and launcher replaced by rename, so a filter
 * that is running keeps finding the chunks it was built with.
 */
export function installFiles(paths: RepoPaths, distDir: string, nodePath: string): string {
  const dir = stateDir(paths, true)
  const target = join(dir, DIST_DIR)
  mkdirSync(join(target, 'chunks'), { recursive: true })
  for (const name of readdirSync(join(distDir, 'chunks'))) {
    if (!existsSync(join(target, 'chunks', name)))
      copyFileSync(join(distDir, 'chunks', name), join(target, 'chunks', name))
  }
  // Libraries loaded on first use (src/lazy/), replaced by rename: a running filter may load one.
  if (existsSync(join(distDir, VENDOR_DIR))) {
    mkdirSync(join(target, VENDOR_DIR), { recursive: true })
    for (const name of readdirSync(join(distDir, VENDOR_DIR))) {
      const tmp = join(target, VENDOR_DIR, `.${name}.${process.pid}`)
      copyFileSync(join(distDir, VENDOR_DIR, name), tmp)
      renameSync(tmp, join(target, VENDOR_DIR, name))
    }
  }
  // Other entries (the header worker) before ours, so the new entry never misses them; the
  // code-cached loaders' bodies before the loaders (src/startup/code-cache.ts).
  const files = readdirSync(distDir)
  const bodies = files.filter((name) => name.endsWith('.body.js'))
  const loaders = files.filter((name) => name.endsWith('.cjs'))
  const entries = files.filter((name) => name.endsWith('.mjs') && name !== BUNDLE_NAME)
  for (const name of [...bodies, ...loaders, ...entries, BUNDLE_NAME]) {
    const tmp = join(target, `.${name}.${process.pid}`)
    copyFileSync(join(distDir, name), tmp)
    renameSync(tmp, join(target, name))
  }
  // A stamp a previous version's guard wrote: this version's guard may check more.
  rmSync(join(dir, GUARD_STAMP_NAME), { force: true })
  const launcher = join(dir, LAUNCHER_NAME)
  const tmpLauncher = `${launcher}.${process.pid}`
  writeFileSync(tmpLauncher, launcherScript(nodePath), { mode: 0o755 })
  chmodSync(tmpLauncher, 0o755)
  renameSync(tmpLauncher, launcher)
  return launcher
}

export function removeFiles(paths: RepoPaths): void {
  const dir = stateDir(paths)
  for (const name of ALL_STATE_FILES) rmSync(join(dir, name), { force: true, recursive: true })
  try {
    rmdirSync(dir) // only when empty (rmSync refuses any directory without recursive)
  } catch {
    // not empty: something that is not ours lives there; leave it
  }
}

/** Writes every row of the config table (upgrading changed values); returns the keys changed. */
export function writeConfig(root: string): string[] {
  const changed: string[] = []
  for (const row of CONFIG_TABLE) {
    if (gitMaybe(['config', '--local', '--get', row.key], { cwd: root }) === row.value) continue
    git(['config', '--local', '--replace-all', row.key, row.value], { cwd: root })
    changed.push(row.key)
  }
  for (const key of FORBIDDEN_KEYS) gitMaybe(['config', '--local', '--unset-all', key], { cwd: root })
  return changed
}

export function removeConfig(root: string): void {
  for (const row of CONFIG_TABLE) gitMaybe(['config', '--local', '--unset-all', row.key], { cwd: root })
  for (const section of CONFIG_SECTIONS) {
    if (
      gitMaybe(['config', '--local', '--get-regexp', `^${section.replace(/[.-]/g, '\\$&')}\\.`], { cwd: root }) === null
    ) {
      gitMaybe(['config', '--local', '--remove-section', section], { cwd: root })
    }
  }
}

/** Rows of the table missing from this clone's config, and rows an older version wrote differently. */
export function configDrift(root: string): { missing: string[]; outdated: string[] } {
  const drift = { missing: [] as string[], outdated: [] as string[] }
  for (const row of CONFIG_TABLE) {
    const value = gitMaybe(['config', '--get', row.key], { cwd: root })
    if (value === null) drift.missing.push(row.key)
    else if (value !== row.value) drift.outdated.push(row.key)
  }
  return drift
}

const pkt = (s: string): string => (s.length + 5).toString(16).padStart(4, '0') + s + '\n'

/**
 * Runs the registered filter command as git would and checks it completes the handshake.
 * @returns null when it does, else what went wrong (its stderr).
 */
export function verifyHandshake(root: string): string | null {
  // Both drivers: the ct one is the same program, started with an argument of its own.
  for (const command of [PROCESS_COMMAND, CIPHERTEXT_PROCESS_COMMAND]) {
    const failure = handshakeProblem(root, command)
    if (failure) return failure
  }
  return null
}

function handshakeProblem(root: string, command: string): string | null {
  const input =
    pkt('git-filter-client') + pkt('version=2') + '0000' + pkt('capability=clean') + pkt('capability=smudge') + '0000'
  const result = spawnSync('/bin/sh', ['-c', command], { cwd: root, input, timeout: 30_000 })
  const out = result.stdout?.toString('latin1') ?? ''
  const expected =
    pkt('git-filter-server') + pkt('version=2') + '0000' + pkt('capability=clean') + pkt('capability=smudge') + '0000'
  if (out === expected && result.status === 0) return null
  return (
    (result.stderr?.toString('utf8').trim() || `unexpected reply ${JSON.stringify(out.slice(0, 60))}`) +
    (result.error ? ` (${result.error.message})` : '')
  )
}
