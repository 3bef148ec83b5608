/** `git-seal show [--rev REV] PATH`: print a secret's plaintext to stdout (`sops -d`). See operations/show.ts. */
import { parseArgs } from 'node:util'
import { repoPaths } from '../git/repo.js'
import { repoPath, showSecret } from '../operations/show.js'
import { SealContext } from '../seal/context.js'
import { UserError, warning, writeAllSync } from '../ui.js'

export function run(args: string[]): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { rev: { type: 'string', short: 'r' } } })
  if (positionals.length !== 1) throw new UserError('usage: git-seal show [--rev REV] PATH')
  const paths = repoPaths()
  if (!paths.top) throw new UserError('git-seal needs a work tree; this repository is bare')
  const ctx = new SealContext(paths, paths.top)
  try {
    const path = repoPath(ctx.root, process.cwd(), positionals[0]!)
    const shown = showSecret(ctx, path, values.rev)
    if (shown.storedInPlaintext) warning(`${path} is stored in ${values.rev} without encryption`, 'anyone with the repository can read that version: rotate what it holds')
    writeAllSync(1, shown.plaintext)
    return 0
  } finally {
    ctx.close()
  }
}
