/**
 * Entry point: argv -> command. Commands are imported lazily so that the hot entry points
 * (filter-process, textconv) load only what they need; textconv's plaintext path is in the entry.
 */
import * as textconv from './commands/textconv.js'
import { loadDecryptors } from './commands/textconv-decryptors.js'
import { UserError, error, printHint, printResult, reportError } from './ui.js'
import { VERSION } from './version.js'

type CommandModule = { run(args: string[]): Promise<number> | number }

const commands: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  init: { summary: 'set up git-seal in this repository', load: () => import('./commands/init.js') },
  install: { summary: 'register the filter in this clone and decrypt', load: () => import('./commands/install.js') },
  uninstall: { summary: 'remove what install added', load: () => import('./commands/uninstall.js') },
  status: { summary: 'list secrets and their state [--json]', load: () => import('./commands/status.js') },
  sync: { summary: 'rewrite the .gitattributes block from .gitseal.yaml', load: () => import('./commands/sync.js') },
  keygen: { summary: 'generate an age identity [-o FILE]', load: () => import('./commands/keygen.js') },
  recipients: { summary: 'who reads which secrets; with PATH, who can read that file [--json]', load: () => import('./commands/recipients.js') },
  'add-recipient': { summary: 'add NAME [KEY|FILE.pub] --group G (--admin|--target), then rekey', load: () => import('./commands/add-recipient.js') },
  'remove-recipient': { summary: 'remove NAME [--group G], then rekey', load: () => import('./commands/remove-recipient.js') },
  'set-key': { summary: "replace NAME's key everywhere (NEWKEY or FILE.pub), then rekey", load: () => import('./commands/set-key.js') },
  audit: { summary: 'what NAME|KEY could decrypt across history [--json]', load: () => import('./commands/audit.js') },
  'ssh-to-age': { summary: 'convert an ed25519 SSH key to its age form [--private FILE]', load: () => import('./commands/ssh-to-age.js') },
  'sops-config': { summary: 'write .sops.yaml creation_rules from .gitseal.yaml', load: () => import('./commands/sops-config.js') },
  rekey: { summary: 'bring encryption in line with the config [PATH...] [--force: re-encrypt even what matches]', load: () => import('./commands/rekey.js') },
  edit: { summary: 'open PATH decrypted in the editor git uses, then re-encrypt it', load: () => import('./commands/edit.js') },
  show: { summary: 'print PATH decrypted [--rev REV]', load: () => import('./commands/show.js') },
  exec: { summary: 'run CMD with the values in secrets PATH... in its environment (PATH... -- CMD)', load: () => import('./commands/exec.js') },
  lock: { summary: 'put ciphertext back in the work tree [--force]', load: () => import('./commands/lock.js') },
  unlock: { summary: 'decrypt the work tree again [-i KEYFILE]', load: () => import('./commands/unlock.js') },
  guard: { summary: 'refuse plaintext secrets in the index (pre-commit hook)', load: () => import('./commands/guard.js') },
  'import-git-crypt': { summary: 'move a git-crypt repository to git-seal [KEYFILE...]', load: () => import('./commands/import-git-crypt.js') },
  'scanner-allowlist': { summary: "gitleaks allowlist for git-seal's ciphertext [-o FILE]", load: () => import('./commands/scanner-allowlist.js') },
  verify: { summary: 'check history for plaintext secrets [REV-RANGE] [--all] [--pre-receive] [--format sarif] [--json]', load: () => import('./commands/verify.js') },
  // Loaded with the entry: it runs once per file side of every git diff, and its plaintext path
  // needs nothing else (decryption modules are imported only for ciphertext).
  textconv: { summary: 'print a file decrypted (used by git diff)', load: async () => ({ run: (args) => textconv.run(args, loadDecryptors) }) },
  merge: { summary: 'merge encrypted files (used by git)', load: () => import('./commands/merge.js') },
  'filter-process': { summary: 'long-running filter (used by git)', load: () => import('./commands/filter-process.js') },
  clean: { summary: 'encrypt stdin for PATH (used by git)', load: () => import('./commands/clean.js') },
  smudge: { summary: 'decrypt stdin for PATH (used by git)', load: () => import('./commands/smudge.js') },
}

function usage(): string {
  const names = Object.keys(commands)
  const width = Math.max(...names.map((n) => n.length))
  return [
    'usage: git-seal <command> [options]',
    '',
    ...names.map((n) => `  ${n.padEnd(width)}  ${commands[n]!.summary}`),
  ].join('\n')
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    printResult(usage())
    return name === undefined ? 2 : 0
  }
  if (name === '--version' || name === '-V') {
    printResult(VERSION)
    return 0
  }
  const command = commands[name]
  if (!command) {
    error(`unknown command '${name}'`)
    printHint("run 'git-seal --help' for the list of commands")
    return 2
  }
  const mod = await command.load()
  return await mod.run(rest)
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (e: unknown) => {
    reportError(e)
    process.exitCode = e instanceof UserError ? 1 : 70
  },
)
