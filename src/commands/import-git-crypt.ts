/**
 * `git-seal import-git-crypt [KEYFILE...]`: move a git-crypt repository to git-seal. The use
 * case is src/operations/import-git-crypt.ts; this parses arguments and says what happened,
 * including what the import cannot change: history keeps git-crypt's ciphertext.
 */
import { importGitCryptHere } from '../operations/import-git-crypt.js'
import { info, printHint, warning } from '../ui.js'

const MAX_LISTED = 20

export async function run({ positionals }: { positionals: string[] }): Promise<number> {
  const report = await importGitCryptHere(positionals)
  if (report.imported.length === 0) {
    info(
      report.alreadySealed.length > 0
        ? `nothing to import: ${report.alreadySealed.length} file(s) are git-seal ciphertext already`
        : 'nothing to import: no file in the index is encrypted by git-crypt',
    )
    if (report.attributesFiles.length > 0)
      info(`removed git-crypt's lines from ${report.attributesFiles.join(', ')} and staged it`)
    return 0
  }
  for (const f of report.imported.slice(0, MAX_LISTED)) info(`imported ${f.path} (secret ${f.secret}, ${f.format})`)
  if (report.imported.length > MAX_LISTED) info(`… and ${report.imported.length - MAX_LISTED} more`)
  info(
    `re-encrypted ${report.imported.length} git-crypt file(s) to the recipients in .gitseal.yaml and staged them, with ${report.attributesFiles.join(', ') || '.gitattributes'} and .gitseal.yaml`,
  )
  if (report.checkedOut.length > 0)
    info(
      `checked out ${report.checkedOut.length} file(s) again through git-seal (the work tree held git-crypt's ciphertext)`,
    )
  if (report.wasPlaintext.length > 0) {
    warning(
      `stored in plaintext by git-crypt (added before its attribute?), encrypted now: ${report.wasPlaintext.join(', ')}`,
      'their history holds the plaintext: rotate what they hold',
    )
  }
  warning(
    'history still holds every earlier version under the old git-crypt key: whoever has that key (an exported key file, a GPG user in .git-crypt/) can read them',
  )
  printHint(
    "review with 'git diff --cached --stat' and commit; rotate the secrets if the git-crypt key was shared more widely than .gitseal.yaml's recipients\nkeep .git-crypt/ and the key while anyone needs to read old versions; 'git rm -r .git-crypt' when nobody does",
  )
  return 0
}
