/**
 * `git-seal uninstall`: removes exactly what install added (config rows, launcher, bundle, state).
 * Work-tree files are left as they are: decrypted files stay decrypted.
 */
import { removeConfig, removeFiles } from '../git/install.js'
import { repoPaths } from '../git/repo.js'
import { removeHook } from '../git/hooks.js'
import { UserError, info } from '../ui.js'

export function run(args: string[]): number {
  if (args.length > 0) throw new UserError('usage: git-seal uninstall')
  const paths = repoPaths()
  if (!paths.top) throw new UserError('git-seal needs a work tree; this repository is bare')
  removeConfig(paths.top)
  removeHook(paths.top)
  removeFiles(paths)
  info('removed the git-seal filter from this clone; decrypted files stay as they are')
  return 0
}
