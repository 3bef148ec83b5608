/**
 * Every command of git-seal, declared: name, summary, arguments, options and a `run` that
 * imports its module only when it runs, so that the hot entries (filter-process, clean, smudge,
 * textconv) load nothing another command needs. The order here is the order of `git-seal --help`.
 */
import * as textconv from '../commands/textconv.js'
import { loadDecryptors } from '../commands/textconv-decryptors.js'
import { defineCommand, type CommandGroup, type CommandSpec, type OptionSpecs } from './define.js'

/** The worktree: ciphertext driver's argument (git/install-table.ts CIPHERTEXT_ARG). */
const CIPHERTEXT_ARGUMENT = {
  name: '--worktree=ciphertext',
  optional: true,
  help: 'set by install for the worktree: ciphertext driver (filter=git-seal-ct)',
} as const

const json = { type: 'boolean', help: 'print JSON instead of a table' } as const

export const GROUP_TITLES: Record<CommandGroup, string> = {
  setup: 'set up',
  secrets: 'work with secrets',
  recipients: 'recipients',
  checks: 'checks',
  keys: 'keys',
  git: 'used by git',
}

export const commands: readonly CommandSpec<OptionSpecs>[] = [
  defineCommand({
    name: 'init',
    group: 'setup',
    summary: 'set up git-seal in this repository',
    description:
      'Keeps an existing .gitseal.yaml or writes a starter one with you as admin (generating an age key\nat ~/.config/sops/age/keys.txt if you have none), writes the git-seal block in .gitattributes,\nthen installs in this clone. Commit .gitseal.yaml and .gitattributes afterwards.',
    options: {
      'from-sops': { type: 'boolean', help: "translate .sops.yaml's creation_rules into .gitseal.yaml" },
      'drop-non-age': { type: 'boolean', help: 'with --from-sops: leave out keys other than age (PGP, KMS)' },
    },
    run: async ({ values }) => (await import('../commands/init.js')).run({ values }),
  }),
  defineCommand({
    name: 'install',
    group: 'setup',
    summary: 'register the filter in this clone and decrypt',
    description:
      'Registers the filter, diff and merge drivers and the commit guards in .git/config, copies a\nself-contained git-seal into .git/git-seal/, then decrypts the secrets already checked out.\nWithout a key it warns and leaves them encrypted.',
    options: { quiet: { type: 'boolean', short: 'q', help: 'say nothing unless something is wrong' } },
    run: async ({ values }) => (await import('../commands/install.js')).run({ values }),
  }),
  defineCommand({
    name: 'uninstall',
    group: 'setup',
    summary: 'remove what install added',
    description:
      'Puts ciphertext back in the work tree first; refuses while a secret has changes git does not have yet.',
    options: { 'keep-plaintext': { type: 'boolean', help: 'leave the decrypted files in the work tree' } },
    run: async ({ values }) => (await import('../commands/uninstall.js')).run({ values }),
  }),
  defineCommand({
    name: 'sync',
    group: 'setup',
    summary: 'rewrite the .gitattributes block from .gitseal.yaml',
    description:
      'Also encrypts in the index tracked files that the config makes secrets while they are staged in plaintext.',
    run: async () => (await import('../commands/sync.js')).run(),
  }),
  defineCommand({
    name: 'sops-config',
    group: 'setup',
    summary: 'write .sops.yaml creation_rules from .gitseal.yaml',
    description: 'So that `sops edit` encrypts to the same recipients; git-seal keeps the file in step afterwards.',
    options: { force: { type: 'boolean', short: 'f', help: 'replace a .sops.yaml written by hand' } },
    run: async ({ values }) => (await import('../commands/sops-config.js')).run({ values }),
  }),
  defineCommand({
    name: 'import-git-crypt',
    group: 'setup',
    summary: 'move a git-crypt repository to git-seal',
    description:
      "Re-encrypts every git-crypt file in the index to the recipients in .gitseal.yaml and stages it; history keeps git-crypt's ciphertext.",
    arguments: [
      {
        name: 'KEYFILE',
        optional: true,
        variadic: true,
        help: "a key from 'git-crypt export-key'; without one, the key of an unlocked repository",
      },
    ],
    run: async ({ positionals }) => (await import('../commands/import-git-crypt.js')).run({ positionals }),
  }),
  defineCommand({
    name: 'status',
    group: 'secrets',
    summary: 'list secrets and their state',
    description:
      'Every secret path: ciphertext in the index? decryptable by me? recipients, problems.\nExit status 1 when there is a problem.',
    options: { json },
    arguments: [{ name: 'PATH', optional: true, variadic: true, help: 'only these files or directories' }],
    run: async ({ values, positionals }) => (await import('../commands/status.js')).run({ values, positionals }),
  }),
  defineCommand({
    name: 'edit',
    group: 'secrets',
    summary: 'open a secret decrypted in the editor git uses, then write it back',
    description:
      'Writes plaintext back to a decrypted work tree, ciphertext to a `worktree: ciphertext` one. Not staged.',
    arguments: [{ name: 'PATH', help: 'the secret file (a new one is created)' }],
    run: async ({ positionals }) => (await import('../commands/edit.js')).run({ positionals }),
  }),
  defineCommand({
    name: 'show',
    group: 'secrets',
    summary: 'print a secret decrypted',
    options: {
      rev: { type: 'string', short: 'r', value: 'REV', help: 'the version in this commit (default: the work tree)' },
    },
    arguments: [{ name: 'PATH', help: 'the secret file' }],
    run: async ({ values, positionals }) => (await import('../commands/show.js')).run({ values, positionals }),
  }),
  defineCommand({
    name: 'exec',
    group: 'secrets',
    summary: "run a command with the secrets' values in its environment",
    description: 'Nothing is written to disk; exits as the command does (127 when it is not found).',
    arguments: [
      {
        name: 'PATH',
        variadic: true,
        help: 'secret files (dotenv, YAML, JSON) whose top-level values become variables',
      },
    ],
    passthrough: { name: 'COMMAND [ARGS...]', help: 'the command to run' },
    run: async ({ positionals, rest }) => (await import('../commands/exec.js')).run({ positionals, rest }),
  }),
  defineCommand({
    name: 'lock',
    group: 'secrets',
    summary: 'put ciphertext back in the work tree',
    options: { force: { type: 'boolean', short: 'f', help: 'discard unstaged changes to secrets' } },
    run: async ({ values }) => (await import('../commands/lock.js')).run({ values }),
  }),
  defineCommand({
    name: 'unlock',
    group: 'secrets',
    summary: 'decrypt the work tree again',
    options: {
      identity: { type: 'string', short: 'i', value: 'KEYFILE', help: 'one more age identity file for this run' },
    },
    arguments: [{ name: 'KEYFILE', optional: true, help: 'the same as -i KEYFILE' }],
    run: async ({ values, positionals }) => (await import('../commands/unlock.js')).run({ values, positionals }),
  }),
  defineCommand({
    name: 'rekey',
    group: 'secrets',
    summary: 'bring encryption in line with the config',
    description:
      'Re-encrypts what no longer matches .gitseal.yaml and stages the new blobs; the work tree is untouched.',
    options: { force: { type: 'boolean', help: 're-encrypt even what already matches' } },
    arguments: [{ name: 'PATH', optional: true, variadic: true, help: 'only these secrets (or directories)' }],
    run: async ({ values, positionals }) => (await import('../commands/rekey.js')).run({ values, positionals }),
  }),
  defineCommand({
    name: 'recipients',
    group: 'recipients',
    summary: 'who reads which secrets',
    description:
      'Per group: name, role, key type, fingerprint and the secrets each recipient reads.\nWith PATH: who can read that file, as the config says and as its stored blob shows.',
    options: { json },
    arguments: [{ name: 'PATH', optional: true, variadic: true, help: 'secret files or directories' }],
    run: async ({ values, positionals }) => (await import('../commands/recipients.js')).list({ values, positionals }),
  }),
  defineCommand({
    name: 'add-recipient',
    group: 'recipients',
    summary: 'add a recipient to a group of .gitseal.yaml, then rekey',
    synopsis: 'NAME [KEY | FILE.pub] --group G (--admin | --target)',
    arguments: [
      { name: 'NAME', help: 'a name for the recipient' },
      {
        name: 'KEY',
        optional: true,
        variadic: true,
        help: 'an age1... recipient, an ssh-ed25519 public key or a .pub file;\nleft out for a person declared in people:',
      },
    ],
    options: {
      group: { type: 'string', short: 'g', value: 'G', help: 'the group (required)' },
      admin: { type: 'boolean', help: 'reads every secret of the group' },
      target: { type: 'boolean', help: 'reads only the secrets that name it' },
    },
    run: async ({ values, positionals }) => (await import('../commands/add-recipient.js')).run({ values, positionals }),
  }),
  defineCommand({
    name: 'remove-recipient',
    group: 'recipients',
    summary: 'remove a recipient from .gitseal.yaml, then rekey',
    description: 'History is not revoked: what they could read stays readable to them (see audit).',
    options: { group: { type: 'string', short: 'g', value: 'G', help: 'only from this group' } },
    arguments: [{ name: 'NAME', help: 'the recipient' }],
    run: async ({ values, positionals }) =>
      (await import('../commands/remove-recipient.js')).run({ values, positionals }),
  }),
  defineCommand({
    name: 'set-key',
    group: 'recipients',
    summary: "replace a recipient's key everywhere, then rekey",
    description:
      'In their people: entry or in every group that names them. The old key still opens what was\nencrypted to it: rotate if it was lost (see audit).',
    arguments: [
      { name: 'NAME', help: 'the person or host' },
      { name: 'NEWKEY', variadic: true, help: 'an age1... recipient, an ssh-ed25519 public key or a .pub file' },
    ],
    run: async ({ positionals }) => (await import('../commands/set-key.js')).run({ positionals }),
  }),
  defineCommand({
    name: 'audit',
    group: 'recipients',
    summary: 'what a recipient could decrypt across history',
    description:
      'Every secret path NAME or KEY could read, from which commit to which, and a rotation checklist.\nWithout NAME|KEY: every recipient in history. Needs no key; with one, says which values were rotated since.',
    options: { json },
    arguments: [{ name: 'NAME|KEY', optional: true, variadic: true, help: "a recipient's name, or a public key" }],
    run: async ({ values, positionals }) => (await import('../commands/audit.js')).run({ values, positionals }),
  }),
  defineCommand({
    name: 'guard',
    group: 'checks',
    summary: 'refuse plaintext secrets in the index',
    description:
      'The commit check (pre-commit, pre-merge-commit, pre-applypatch): no plaintext secret, no unproven input,\nattributes in sync and not rewriting ciphertext, config valid. Exit status 1 refuses the commit.',
    run: async () => (await import('../commands/guard.js')).run(),
  }),
  defineCommand({
    name: 'verify',
    group: 'checks',
    summary: 'check history for plaintext secrets',
    description:
      'For CI and servers; needs no key. Without REV-RANGE or --all, checks HEAD. Exit status 1 on a finding.',
    options: {
      all: { type: 'boolean', help: 'every commit reachable from any ref' },
      'pre-receive': { type: 'boolean', help: 'as a pre-receive hook: the ref updates on stdin' },
      format: {
        type: 'string',
        value: 'FORMAT',
        choices: ['text', 'sarif'],
        help: 'text (the default), or sarif: the findings as SARIF 2.1.0 on stdout',
      },
      json: { type: 'boolean', help: 'print the findings as JSON (code, message, details) instead of text' },
    },
    arguments: [{ name: 'REV-RANGE', optional: true, help: 'the commits to check, e.g. origin/main..HEAD' }],
    run: async ({ values, positionals }) => (await import('../commands/verify.js')).run({ values, positionals }),
  }),
  defineCommand({
    name: 'scanner-allowlist',
    group: 'checks',
    summary: "a gitleaks allowlist for git-seal's ciphertext",
    description:
      'By content, never by path. Printed, or written to FILE (a file from an earlier run gets its block replaced).',
    options: {
      format: { type: 'string', value: 'FORMAT', help: 'gitleaks (the default)' },
      output: { type: 'string', short: 'o', value: 'FILE', help: 'write FILE instead of printing' },
    },
    run: async ({ values }) => (await import('../commands/scanner-allowlist.js')).run({ values }),
  }),
  defineCommand({
    name: 'keygen',
    group: 'keys',
    summary: 'generate an age identity',
    description: 'Prints the identity, or with -o writes it to FILE (mode 0600) and prints its recipient.',
    options: { output: { type: 'string', short: 'o', value: 'FILE', help: 'write the identity to FILE' } },
    run: async ({ values }) => (await import('../commands/keygen.js')).run({ values }),
  }),
  defineCommand({
    name: 'ssh-to-age',
    group: 'keys',
    summary: 'convert an ed25519 SSH key to its age form',
    description: 'As ssh-to-age and sops-nix compute it.',
    options: { private: { type: 'string', value: 'FILE', help: 'convert this private key into an age identity' } },
    arguments: [{ name: 'KEY.pub', optional: true, help: "public keys to convert ('-' or none: stdin)" }],
    run: async ({ values, positionals }) => (await import('../commands/ssh-to-age.js')).run({ values, positionals }),
  }),
  defineCommand({
    name: 'filter-process',
    group: 'git',
    summary: 'the long-running filter (filter.git-seal.process)',
    literal: true,
    arguments: [CIPHERTEXT_ARGUMENT],
    run: async ({ positionals }) => (await import('../commands/filter-process.js')).run(positionals),
  }),
  defineCommand({
    name: 'clean',
    group: 'git',
    summary: 'encrypt stdin for PATH (filter.git-seal.clean)',
    literal: true,
    arguments: [CIPHERTEXT_ARGUMENT, { name: 'PATH', help: 'the path git stages' }],
    run: async ({ positionals }) => (await import('../commands/clean.js')).run(positionals),
  }),
  defineCommand({
    name: 'smudge',
    group: 'git',
    summary: 'decrypt stdin for PATH (filter.git-seal.smudge)',
    literal: true,
    arguments: [CIPHERTEXT_ARGUMENT, { name: 'PATH', help: 'the path git checks out' }],
    run: async ({ positionals }) => (await import('../commands/smudge.js')).run(positionals),
  }),
  defineCommand({
    // Loaded with the entry: it runs once per file side of every git diff, and its plaintext
    // path needs nothing else (decryption modules are imported only for ciphertext).
    name: 'textconv',
    group: 'git',
    summary: 'print a file decrypted (diff.git-seal.textconv)',
    literal: true,
    arguments: [{ name: 'FILE', help: 'the file git diffs' }],
    run: ({ positionals }) => textconv.run(positionals, loadDecryptors),
  }),
  defineCommand({
    name: 'merge',
    group: 'git',
    summary: 'merge encrypted files as plaintext (merge.git-seal.driver)',
    literal: true,
    arguments: [
      { name: 'BASE', help: "the common ancestor's version (%O)" },
      { name: 'OURS', help: 'our version, where the result is written (%A)' },
      { name: 'THEIRS', help: 'their version (%B)' },
      { name: 'MARKER-SIZE', help: 'conflict-marker-size (%L)' },
      { name: 'PATH', help: 'the path being merged (%P)' },
      { name: 'BASE-NAME', optional: true, help: "the ancestor's name in conflict markers (%S, git >= 2.44)" },
      { name: 'OURS-NAME', optional: true, help: "our side's name in conflict markers (%X, git >= 2.44)" },
      { name: 'THEIRS-NAME', optional: true, help: "their side's name in conflict markers (%Y, git >= 2.44)" },
    ],
    run: async ({ positionals }) => (await import('../commands/merge.js')).run(positionals),
  }),
]

/** The command of that name, if any. */
export function findCommand(name: string): CommandSpec<OptionSpecs> | undefined {
  return commands.find((c) => c.name === name)
}
