/**
 * `git-seal guard` (the pre-commit hook): refuses a commit whose index holds a secret in
 * plaintext, a .gitattributes that does not match the config, or an invalid config.
 * Checks the index git is committing (GIT_INDEX_FILE: `commit -a` and `commit PATH` use a
 * temporary one). Batched: one diff, one check-attr, one cat-file, whatever the number of files.
 */
import { parseConfig, CONFIG_FILE, attributesUpToDate, type SealConfig } from '../config/index.js'
import { checkAttr } from '../git/attributes.js'
import { CatFileBatch } from '../git/objects.js'
import { repoPaths } from '../git/repo.js'
import { GITLINK_MODE, SYMLINK_MODE, diffIndexCached } from '../git/plumbing.js'
import { gitBlobText, gitMaybe } from '../git/run.js'
import { isSecretPath, isStoredPlaintext } from '../seal/check.js'
import { isWrappedConflict } from '../seal/stored.js'
import { UserError, error, printHint } from '../ui.js'

/** Staged additions and modifications of files (not symlinks or submodules): [path, blob oid]. */
function stagedBlobs(root: string): { path: string; oid: string }[] {
  const head = gitMaybe(['rev-parse', '--verify', '-q', 'HEAD'], { cwd: root })
  return diffIndexCached(root, head, { objectFormat: repoPaths(root).objectFormat })
    .filter((c) => 'ACMT'.includes(c.status) && c.dstMode !== GITLINK_MODE && c.dstMode !== SYMLINK_MODE)
    .map((c) => ({ path: c.path, oid: c.dstOid }))
}

export async function run(args: string[]): Promise<number> {
  if (args.length > 0) throw new UserError('usage: git-seal guard')
  const root = repoPaths().top
  if (!root) return 0
  const problems: { message: string; hint?: string }[] = []

  const configText = gitBlobText(`:${CONFIG_FILE}`, { cwd: root })
  let config: SealConfig | null = null
  if (configText !== null) {
    try {
      config = parseConfig(configText, CONFIG_FILE)
    } catch (e) {
      problems.push({ message: `the staged ${CONFIG_FILE} is invalid: ${(e as Error).message}`, hint: `fix ${CONFIG_FILE} and 'git add' it again` })
    }
    const attributes = gitBlobText(':.gitattributes', { cwd: root }) ?? ''
    if (config && !attributesUpToDate(attributes, config)) {
      problems.push({ message: `the staged .gitattributes does not match ${CONFIG_FILE}`, hint: "run 'git-seal sync' and 'git add .gitattributes'" })
    }
  }

  const staged = stagedBlobs(root)
  const filters = checkAttr(root, 'filter', staged.map((s) => s.path), true)
  const secrets = staged.filter((s) => isSecretPath(config, s.path, filters.get(s.path) === 'git-seal'))
  const objects = new CatFileBatch(root)
  try {
    // Every staged secret read once for both checks, all lookups pipelined through one cat-file.
    const blobs = await Promise.all(secrets.map(async (s) => ({ s, object: await objects.get(s.oid) })))
    for (const { s, object } of blobs) {
      if (object?.type === 'blob' && isWrappedConflict(s.path, object.content)) {
        problems.push({ message: `${s.path} still holds unresolved conflict markers`, hint: 'resolve the conflict in the file, then git add it again' })
      } else if (isStoredPlaintext(s.path, object)) {
        problems.push({
          message: `${s.path} is staged in plaintext`,
          hint: "run 'git-seal install', then 'git add' the files named above again (a secret ever pushed in plaintext must be rotated)",
        })
      }
    }
  } finally {
    objects.close()
  }
  if (problems.length === 0) return 0
  const hints = new Set<string>()
  for (const p of problems) {
    error(p.message)
    if (p.hint) hints.add(p.hint)
  }
  for (const h of hints) printHint(h)
  error('commit refused: no plaintext secret may enter history')
  return 1
}
