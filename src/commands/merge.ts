/**
 * `git-seal merge %O %A %B %L %P %S %X %Y` (merge.git-seal.driver): merges the plaintext of the
 * three versions and writes the result to %A re-encrypted (src/operations/merge.ts).
 * https://git-scm.com/docs/gitattributes#_defining_a_custom_merge_driver
 */
import { mergeSecret, sideLabels } from '../operations/merge.js'
import { UsageError, error } from '../ui.js'

export async function run(args: string[]): Promise<number> {
  const [base, ours, theirs, markerSize = '7', path] = args
  const labels = sideLabels(args.slice(5))
  if (base === undefined || ours === undefined || theirs === undefined || path === undefined) {
    throw new UsageError(
      'merge takes BASE OURS THEIRS MARKER-SIZE PATH [BASE-NAME OURS-NAME THEIRS-NAME]',
      "git runs it as merge.git-seal.driver; 'git-seal install' sets that up",
    )
  }
  const outcome = await mergeSecret({ base, ours, theirs, markerSize: Number(markerSize), path, labels })
  if (!outcome.merged) {
    error(
      `${path}: cannot decrypt the ${outcome.side} version to merge it (${outcome.reason})`,
      "git keeps our version and reports a conflict; get the key, then 'git checkout --merge -- " + path + "'",
    )
    return 1
  }
  return outcome.conflicts === 0 ? 0 : 1
}
