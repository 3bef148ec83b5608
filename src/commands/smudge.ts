/** `git-seal smudge PATH`: one-shot smudge (filter.git-seal.smudge); see src/seal/driver.ts. */
import { runOneShot } from '../seal/driver.js'
import { smudgeFile } from '../seal/smudge.js'

export function run(args: string[]): Promise<number> {
  return runOneShot(args, 'smudge', (ctx, path, input) => smudgeFile(ctx, path, input))
}
