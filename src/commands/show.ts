/** `git-seal show [--rev REV] PATH`: print a secret's plaintext to stdout (`sops -d`). See operations/show.ts. */
import { repoPaths } from '../git/repo.js'
import { repoPath, showSecret } from '../operations/show.js'
import { SealContext } from '../seal/context.js'
import { warning, writeAllSync } from '../ui.js'
import { bareRepositoryError } from '../errors.js'

export function run({ values, positionals }: { values: { rev?: string }; positionals: string[] }): number {
  const paths = repoPaths()
  if (!paths.top) throw bareRepositoryError()
  const ctx = new SealContext(paths, paths.top)
  try {
    const path = repoPath(ctx.root, process.cwd(), positionals[0]!)
    const shown = showSecret(ctx, path, values.rev)
    if (shown.storedInPlaintext)
      warning(
        `${path} is stored in ${values.rev} without encryption`,
        'anyone with the repository can read that version: rotate what it holds',
      )
    writeAllSync(1, shown.plaintext)
    return 0
  } finally {
    ctx.close()
  }
}
