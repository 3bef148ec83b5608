/**
 * `git-seal edit PATH`: open a secret's plaintext in the editor git would use, then write it
 * back encrypted (ciphertext work trees) or as plaintext (decrypted ones). Not staged, like
 * `sops edit`. See operations/edit.ts.
 */
import { createInterface } from 'node:readline'
import { gitEditor, launchEditor } from '../git/editor.js'
import { repoPaths } from '../git/repo.js'
import { editSecret } from '../operations/edit.js'
import { repoPath } from '../operations/show.js'
import { SealContext } from '../seal/context.js'
import { UserError, error, info, shellWord } from '../ui.js'
import { bareRepositoryError } from '../errors.js'

/** Waits for Enter on standard input (Ctrl-C ends the process: the temporary file goes with it). */
function waitForEnter(prompt: string): Promise<boolean> {
  return new Promise((resolve) => {
    // terminal: false leaves the terminal in cooked mode, where Ctrl-C is a real SIGINT.
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: false })
    process.stderr.write(prompt)
    rl.once('line', () => {
      rl.close()
      resolve(true)
    })
    rl.once('close', () => resolve(false))
  })
}

export async function run({ positionals }: { positionals: string[] }): Promise<number> {
  const paths = repoPaths()
  if (!paths.top) throw bareRepositoryError()
  const ctx = new SealContext(paths, paths.top)
  try {
    const path = repoPath(ctx.root, process.cwd(), positionals[0]!)
    const editor = gitEditor(ctx.root, ctx.env)
    const result = await editSecret(ctx, path, {
      async edit(file) {
        const exit = await launchEditor(editor, file, { cwd: process.cwd(), env: ctx.env })
        if (exit.code === 0) return
        const how = exit.code === null ? `was killed by ${exit.signal}` : `exited with status ${exit.code}`
        throw new UserError(
          `the editor (${editor}) ${how}; nothing was written`,
          'fix the editor setting (GIT_EDITOR, core.editor, VISUAL, EDITOR) and try again',
        )
      },
      async retry(problem) {
        // Asking needs a person at a terminal; a script gets the error instead.
        if (!process.stdin.isTTY || !process.stderr.isTTY) return false
        error(problem.message, problem.hint)
        return waitForEnter('git-seal: press Enter to edit again, or Ctrl-C to give up (nothing is written) ')
      },
    })
    const where = shellWord(path)
    if (result.action === 'unchanged') info(`${path}: unchanged, nothing written`)
    else if (result.action === 'not-created') info(`${path}: left empty, so no secret was created`)
    else if (result.worktree === 'ciphertext') {
      info(
        `${path}: ${result.created ? 'created' : 'updated'}; the work tree holds its ${result.format === 'sops' ? 'SOPS' : 'age'} ciphertext. Not staged: 'git add ${where}' when ready`,
      )
    } else {
      info(
        `${path}: ${result.created ? 'created' : 'updated'}; the work tree holds its plaintext, encrypted when you 'git add ${where}'`,
      )
    }
    return 0
  } finally {
    ctx.close()
  }
}
