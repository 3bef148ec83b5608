/** `git-seal keygen [-o FILE]`: a new age identity, like age-keygen. The recipient goes to stdout. */
import { parseArgs } from 'node:util'
import { newKey, writeNewKeyFile } from '../keys/keyfile.js'
import { info, printResult } from '../ui.js'

export function run(args: string[]): number {
  const { values } = parseArgs({ args, options: { output: { type: 'string', short: 'o' } } })
  if (values.output) {
    const key = writeNewKeyFile(values.output)
    info(`wrote a new identity to ${values.output} (mode 0600); back it up: without it, its secrets are lost`)
    printResult(key.recipient)
    return 0
  }
  printResult(newKey().text)
  return 0
}
