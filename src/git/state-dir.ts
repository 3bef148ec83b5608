/**
 * git-seal's state directory, `<common git dir>/git-seal/`: one per clone, shared by linked
 * worktrees, never pushed. This module alone names what lives in it; everything else asks it
 * for a path. The names are on disk in clones made by earlier versions, so they never change
 * (a rename here would orphan a clone's records, lock mark or installed launcher).
 *
 * It sits in src/git/ (beside repo.ts, which finds the common git dir) so that config/ and git/
 * can use it as well as the layers above.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { RepoPaths } from './repo.js'

/** The directory's own name, under the common git dir. */
export const STATE_DIR_NAME = 'git-seal'

/** Every file (or directory) git-seal keeps in its state directory, by what it is. */
export const STATE_FILES = {
  /** what this clone knows about blobs it handled (src/seal/records.ts) */
  blobRecords: 'blobs.jsonl',
  /**
   * plaintext MACs (src/seal/plaintext-macs.ts); named `fingerprints` on disk since before the
   * code called them MACs, which `recipients`' key fingerprints made ambiguous
   */
  plaintextMacs: 'fingerprints',
  /** the key of those MACs (same history for its name) */
  plaintextMacKey: 'fingerprint.key',
  /** present while the clone is locked (`git-seal lock`, `uninstall`): smudge keeps ciphertext */
  locked: 'locked',
  /** what the last passing full guard checked (src/seal/guard-stamp.ts, src/git/guard-precheck.ts) */
  guardStamp: 'guard-stamp',
  /** HEAD's blob listing, filed under its commit id (src/git/head-tree.ts) */
  headTree: 'head-tree',
  /** the parsed `.gitseal.yaml` (src/config/cache.ts) */
  configCache: 'config-cache.json',
  /** the installed copy of dist/ (src/git/install.ts) */
  dist: 'dist',
  /** the launcher git runs (src/git/install.ts) */
  launcher: 'git-seal',
  /** the single-file bundle older versions installed here, removed by uninstall */
  legacyBundle: 'git-seal.mjs',
} as const

export type StateFile = keyof typeof STATE_FILES

/** What uninstall removes: every name above (private directories are swept separately). */
export const ALL_STATE_FILES: readonly string[] = [
  STATE_FILES.dist,
  STATE_FILES.legacyBundle,
  STATE_FILES.launcher,
  STATE_FILES.guardStamp,
  STATE_FILES.configCache,
  STATE_FILES.headTree,
  STATE_FILES.blobRecords,
  STATE_FILES.plaintextMacs,
  STATE_FILES.plaintextMacKey,
  STATE_FILES.locked,
]

/**
 * Private temporary directories (src/seal/private-tmp.ts: spill, merge) are named
 * `<prefix><purpose>-XXXXXX`, so a sweep never touches anything else.
 */
export const PRIVATE_DIR_PREFIX = 'private-'
/** The private directories of git-seal versions before owner records (`merge-XXXXXX`). */
export const LEGACY_PRIVATE_DIR = /^merge-[A-Za-z0-9]{6}$/

/** git-seal's per-clone state directory (shared by linked worktrees), created 0700 on demand. */
export function stateDir(paths: RepoPaths, create = false): string {
  const dir = join(paths.commonDir, STATE_DIR_NAME)
  if (create) mkdirSync(dir, { recursive: true, mode: 0o700 })
  return dir
}

/** The path of one of git-seal's files in the state directory `dir`. */
export function stateFile(dir: string, file: StateFile): string {
  return join(dir, STATE_FILES[file])
}

/** The state directory of one clone, and the paths of what it holds. */
export class StateDirectory {
  constructor(readonly path: string) {}

  static of(paths: RepoPaths): StateDirectory {
    return new StateDirectory(stateDir(paths))
  }

  /** The directory, created 0700 when missing. */
  create(): string {
    mkdirSync(this.path, { recursive: true, mode: 0o700 })
    return this.path
  }

  file(file: StateFile): string {
    return stateFile(this.path, file)
  }

  /** True when the clone is locked (`git-seal lock`): smudge leaves ciphertext in the work tree. */
  isLocked(): boolean {
    return existsSync(this.file('locked'))
  }
}
