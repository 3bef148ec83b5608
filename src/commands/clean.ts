/** `git-seal clean PATH`: one-shot clean (filter.git-seal.clean), for git without the process filter. */
import { runOneShot } from '../seal/driver.js'
import { cleanFile } from '../seal/clean.js'

export function run(args: string[]): Promise<number> {
  return runOneShot(args, 'clean', (ctx, path, input) => cleanFile(ctx, path, input))
}
