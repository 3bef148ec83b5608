/** `git-seal keygen [-o FILE]`: a new age identity, like age-keygen. The recipient goes to stdout. */
import { newKey, writeNewKeyFile } from '../keys/keyfile.js'
import { info, printResult } from '../ui.js'

export function run({ values }: { values: { output?: string } }): number {
  if (values.output) {
    const key = writeNewKeyFile(values.output)
    info(`wrote a new identity to ${values.output} (mode 0600); back it up: without it, its secrets are lost`)
    printResult(key.recipient)
    return 0
  }
  printResult(newKey().text)
  return 0
}
