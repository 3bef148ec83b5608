/**
 * `git-seal guard` (the pre-commit hook): refuses a commit whose index holds a secret in
 * plaintext, a .gitattributes that does not match the config, or an invalid config.
 * Checks the index git is committing (GIT_INDEX_FILE: `commit -a` and `commit PATH` use a
 * temporary one). Batched: one diff, one check-attr, one cat-file, whatever the number of files.
 */
import { parseConfig, CONFIG_FILE, attributesUpToDate, type SealConfig } from '../config/index.js'
import { checkAttr } from '../git/attributes.js'
import { CatFileBatch } from '../git/objects.js'
import { repoPaths, stateDir } from '../git/repo.js'
import { GITLINK_MODE, SYMLINK_MODE, diffIndexCached } from '../git/plumbing.js'
import { gitBlobText, gitMaybe } from '../git/run.js'
import type { Identity } from '../age/index.js'
import { loadIdentities } from '../keys/identities.js'
import { isSecretPath, judgeStagedSecret, type StagedEvidence, type StagedVerdict } from '../seal/check.js'
import { BlobRecords } from '../seal/records.js'
import { UserError, error, printHint } from '../ui.js'

/** Staged additions and modifications of files (not symlinks or submodules): [path, blob oid]. */
function stagedBlobs(root: string, objectFormat: 'sha1' | 'sha256'): { path: string; oid: string }[] {
  const head = gitMaybe(['rev-parse', '--verify', '-q', 'HEAD'], { cwd: root })
  return diffIndexCached(root, head, { objectFormat })
    .filter((c) => 'ACMT'.includes(c.status) && c.dstMode !== GITLINK_MODE && c.dstMode !== SYMLINK_MODE)
    .map((c) => ({ path: c.path, oid: c.dstOid }))
}

/** The message and hint for each way a staged secret can be wrong. */
const STAGED_PROBLEMS: Record<Exclude<StagedVerdict, 'ok'>, (path: string) => { message: string; hint: string }> = {
  plaintext: (path) => ({
    message: `${path} is staged in plaintext`,
    hint: `run 'git-seal install' if it is not installed, then 'git add --renormalize -- ${path}' (a secret ever pushed in plaintext must be rotated)`,
  }),
  conflict: (path) => ({ message: `${path} still holds unresolved conflict markers`, hint: 'resolve the conflict in the file, then git add it again' }),
  wrapped: (path) => ({
    message: `${path} holds input that looked like ciphertext but was not proven so; it was staged encrypted whole, as content`,
    hint: `'git checkout HEAD -- ${path}' puts the committed version back; to change the secret, write its new plaintext in a clone with the key and 'git add' it`,
  }),
  'unverified-sops': (path) => ({
    message: `${path} is a sops document that nothing here vouches for: this clone did not encrypt it, and no key here verifies its MAC (was it staged with 'git add -p' or a patch?)`,
    hint: `stage the whole file with 'git add -- ${path}' (with git-seal installed), or ask someone with the key to`,
  }),
}

export async function run(args: string[]): Promise<number> {
  if (args.length > 0) throw new UserError('usage: git-seal guard')
  const paths = repoPaths()
  const root = paths.top
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

  const staged = stagedBlobs(root, paths.objectFormat)
  const filters = checkAttr(root, 'filter', staged.map((s) => s.path), true)
  const secrets = staged.filter((s) => isSecretPath(config, s.path, filters.get(s.path) === 'git-seal'))
  const objects = new CatFileBatch(root)
  let identities: Identity[] | null = null
  const evidence: StagedEvidence = {
    records: new BlobRecords(stateDir(paths)),
    identities: () => (identities ??= loadIdentities().identities),
    mergeHeadBlob: async (path) => (await objects.get(`MERGE_HEAD:${path}`))?.oid ?? null,
  }
  try {
    // Every staged secret read once, all lookups pipelined through one cat-file.
    const blobs = await Promise.all(secrets.map(async (s) => ({ s, object: await objects.get(s.oid) })))
    for (const { s, object } of blobs) {
      const verdict = await judgeStagedSecret(s.path, object, evidence)
      if (verdict !== 'ok') problems.push(STAGED_PROBLEMS[verdict](s.path))
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
