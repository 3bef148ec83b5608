/** `git-seal smudge PATH`: one-shot smudge (filter.git-seal.smudge). */
import { SealContext } from '../seal/context.js'
import { smudgeFile } from '../seal/smudge.js'
import { UserError, writeAllSync } from '../ui.js'

type Filter = (ctx: SealContext, path: string, input: AsyncIterable<Uint8Array>) => Promise<Uint8Array[]>

/** Shared by the one-shot clean and smudge: stdin in, stdout out, PATH names the file. */
export async function runOneShot(args: string[], name: string, filter: Filter): Promise<number> {
  const path = args[0]
  if (path === undefined || args.length > 1) throw new UserError(`usage: git-seal ${name} PATH`)
  return SealContext.serve(async (ctx) => {
    for (const chunk of await filter(ctx, path, process.stdin)) writeAllSync(1, chunk)
  })
}

export function run(args: string[]): Promise<number> {
  return runOneShot(args, 'smudge', (ctx, path, input) => smudgeFile(ctx, path, input))
}
