/**
 * `git-seal rekey [PATH...] [--force]`: bring every secret's encryption in line with the config.
 * Adding a recipient to a sops file wraps its existing data key (values untouched); removing
 * one makes a new data key. Age files are re-encrypted. New blobs are staged, ready to commit;
 * the work tree is untouched. Idempotent: a second run changes nothing (src/operations/rekey.ts).
 */
import { rekeyRepository } from '../operations/rekey.js'
import { printRekeyOutcomes } from './output/rekey.js'

export async function run({
  values,
  positionals,
}: {
  values: { force?: boolean }
  positionals: string[]
}): Promise<number> {
  return printRekeyOutcomes(await rekeyRepository(positionals, values.force === true))
}
