/** `git-seal sync`: rewrite the .gitattributes block from .gitseal.yaml (the single source of truth). */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CONFIG_FILE, loadConfig, updateAttributes } from '../config/index.js'
import { repoPaths } from '../git/repo.js'
import { UserError, info } from '../ui.js'

/** Rewrites the block; returns true when .gitattributes changed. */
export function syncAttributes(root: string): boolean {
  const config = loadConfig(root)
  if (!config) throw new UserError(`no ${CONFIG_FILE} at ${root}`, "run 'git-seal init' first")
  const file = join(root, '.gitattributes')
  const before = existsSync(file) ? readFileSync(file, 'utf8') : ''
  const after = updateAttributes(before, config)
  if (after === before) return false
  writeFileSync(file, after)
  return true
}

export function run(args: string[]): number {
  if (args.length > 0) throw new UserError('usage: git-seal sync')
  const root = repoPaths().top
  if (!root) throw new UserError('git-seal needs a work tree; this repository is bare')
  info(syncAttributes(root) ? 'updated .gitattributes; commit it with .gitseal.yaml' : '.gitattributes is up to date')
  return 0
}
