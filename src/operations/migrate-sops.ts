/**
 * Migrating from sops (`git-seal init --from-sops`): the .gitseal.yaml that means what the
 * repository's .sops.yaml means (config/from-sops.ts), checked against the files the repository
 * holds before anything is written:
 * - every file a creation rule covers (sops's choice: the first rule whose path_regex matches)
 *   is covered by the secret made from that rule, and no other file is;
 * - no tracked file that is not ciphertext becomes a secret: sops encrypts only the files one
 *   names, git-seal every file its patterns match, so a rule broader than the secrets it was
 *   used for (`.*\.yaml$` over a CI config) would encrypt files tools read in plaintext.
 * Files sops wrote stay byte for byte: they are the index's blobs, which clean keeps as proven
 * ciphertext, and their recipients are the rule's own (seal/clean.ts).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  findSecret,
  importSopsConfig,
  isNeverSecret,
  matchingSecrets,
  parseConfig,
  type SopsImport,
} from '../config/index.js'
import { readSopsRules } from '../config/from-sops.js'
import { compileRe2 } from '../formats/sops/tree.js'
import { CatFileBatch } from '../git/objects.js'
import { GITLINK_MODE, SYMLINK_MODE, lsFilesStage, lsFilesTrackedAndUntracked } from '../git/plumbing.js'
import { isStoredPlaintext } from '../seal/check.js'
import { UserError } from '../ui.js'

export const SOPS_CONFIG_FILE = '.sops.yaml'

export interface MigrationOptions {
  dropNonAge?: boolean
  /** `worktree: ciphertext` on the imported secrets (what init does: sops users keep ciphertext in the work tree) */
  ciphertextWorktree?: boolean
}

/** At most this many files are named in one message. */
const NAMED = 8

function some(paths: string[]): string {
  return paths.slice(0, NAMED).join(', ') + (paths.length > NAMED ? `, … (${paths.length} in all)` : '')
}

/**
 * The config translated from `<root>/.sops.yaml`, checked against the repository's files.
 * @throws {UserError} when there is no .sops.yaml, it cannot be imported (importSopsConfig), a
 *   file would change hands, or tracked plaintext files would become secrets; {ConfigError} when
 *   the result does not validate.
 */
export async function planSopsMigration(root: string, options: MigrationOptions = {}): Promise<SopsImport> {
  let text: string
  try {
    text = readFileSync(join(root, SOPS_CONFIG_FILE), 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new UserError(
        `no ${SOPS_CONFIG_FILE} at the top of the repository`,
        "'git-seal init' without --from-sops writes a starter config instead",
      )
    throw e
  }
  const imported = importSopsConfig(text, options)
  const config = parseConfig(imported.config)
  const rules = readSopsRules(text).rules.map((r) => ({
    number: r.number,
    regex: r.pathRegex === null ? null : compileRe2(r.pathRegex, `rule ${r.number} path_regex`),
  }))
  const secretOfRule = new Map(imported.secrets.flatMap((s) => s.rules.map((n) => [n, s.name] as const)))

  const problems: string[] = []
  for (const path of lsFilesTrackedAndUntracked(root)) {
    if (isNeverSecret(path)) continue
    const rule = rules.find((r) => r.regex === null || r.regex.test(path)) ?? null
    const expected = rule ? (secretOfRule.get(rule.number) ?? null) : null
    let actual: string | null
    try {
      actual = findSecret(config, path)?.name ?? null
    } catch {
      actual = matchingSecrets(config, path)
        .map((s) => s.name)
        .join(' and ')
    }
    if (actual !== expected)
      problems.push(
        `${path}: sops gives it to ${rule ? `rule ${rule.number}` : 'no rule'}, the translated config to ${actual ? `secret ${actual}` : 'no secret'}`,
      )
  }
  if (problems.length > 0) {
    // The translation is meant to be exact: this is a bug, named rather than written.
    throw new UserError(
      `the translated config does not select the files .sops.yaml does:\n  ${problems.slice(0, NAMED).join('\n  ')}`,
      'please report this with the path_regex involved; meanwhile write .gitseal.yaml by hand',
    )
  }

  const covered = lsFilesStage(root).filter(
    (e) =>
      e.stage === 0 && e.mode !== GITLINK_MODE && e.mode !== SYMLINK_MODE && matchingSecrets(config, e.path).length > 0,
  )
  const objects = new CatFileBatch(root)
  try {
    const blobs = await Promise.all(covered.map(async (e) => ({ path: e.path, object: await objects.get(e.oid) })))
    const plaintext = blobs.filter((b) => isStoredPlaintext(b.path, b.object)).map((b) => b.path)
    if (plaintext.length > 0) {
      throw new UserError(
        `these tracked files match a creation rule but are not sops files, and git-seal would encrypt them: ${some(plaintext)}`,
        'sops encrypts only the files you name; git-seal encrypts every file a rule matches. Narrow the path_regex in .sops.yaml so it leaves them out (sops reads it the same way), or encrypt them with sops first, then import again',
      )
    }
  } finally {
    objects.close()
  }
  return imported
}
