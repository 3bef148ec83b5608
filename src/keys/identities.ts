/**
 * Whose private keys decrypt: the same sources sops reads, so one key setup serves both.
 * Like sops, every source is read and every identity is tried:
 *   SOPS_AGE_KEY       key text (several keys allowed)
 *   SOPS_AGE_KEY_FILE  a key file
 *   SOPS_AGE_KEY_CMD   a command printing keys (a password manager CLI…)
 *   the default file   $XDG_CONFIG_HOME/sops/age/keys.txt (~/.config/sops/age/keys.txt), and on
 *                      macOS also ~/Library/Application Support/sops/age/keys.txt (sops's default there)
 *   SSH keys           SOPS_AGE_SSH_PRIVATE_KEY_FILE, else ~/.ssh/id_ed25519: as an ssh-ed25519
 *                      identity (age files) and converted the ssh-to-age way (sops files, sops-nix)
 * A key file may itself be age-encrypted with a passphrase, as sops allows; it is asked for on
 * the terminal, once.
 * https://github.com/getsops/sops#encrypting-using-age
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { decrypt, looksLikeAge, parseIdentity, parseIdentityFile, parseSshIdentity, identityToRecipient, scryptIdentity, sshToAgeIdentity, type Identity, type Stanza } from '../age/index.js'
import { askPassphrase } from './passphrase.js'
import { UserError } from '../errors.js'

export interface IdentitySet {
  identities: Identity[]
  /** the age1… recipient of each identity, to tell which secrets we can open */
  recipients: string[]
  /** where keys were found, for status and hints */
  sources: string[]
  /** sources that were set but unusable; each is a full sentence without key material */
  problems: string[]
}

/** The default key file path sops uses on this system. */
export function defaultKeyFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env['XDG_CONFIG_HOME'] || join(env['HOME'] || homedir(), '.config')
  return join(base, 'sops', 'age', 'keys.txt')
}

function defaultKeyFiles(env: NodeJS.ProcessEnv): string[] {
  const files = [defaultKeyFile(env)]
  if (process.platform === 'darwin' && !env['XDG_CONFIG_HOME']) {
    files.push(join(env['HOME'] || homedir(), 'Library', 'Application Support', 'sops', 'age', 'keys.txt'))
  }
  return files
}

function addKeys(set: IdentitySet, text: string, source: string): void {
  let lines: string[]
  try {
    lines = parseIdentityFile(text)
  } catch (e) {
    set.problems.push(`${source}: ${(e as Error).message}`)
    return
  }
  if (lines.length === 0) {
    set.problems.push(`${source}: holds no AGE-SECRET-KEY-1 line`)
    return
  }
  for (const line of lines) {
    try {
      set.identities.push(parseIdentity(line))
      set.recipients.push(identityToRecipient(line))
    } catch (e) {
      set.problems.push(`${source}: ${(e as Error).message}`)
    }
  }
  set.sources.push(source)
}

function readKeyFile(set: IdentitySet, file: string, label: string): void {
  let raw: Buffer
  try {
    const mode = statSync(file).mode
    if ((mode & 0o077) !== 0) {
      set.problems.push(`${label} ${file} is readable by others (mode ${(mode & 0o777).toString(8)}); run 'chmod 600 ${file}'`)
    }
    raw = readFileSync(file)
  } catch (e) {
    set.problems.push(`${label} ${file} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
    return
  }
  let text = raw.toString('utf8')
  if (looksLikeAge(raw)) {
    // A passphrase-protected key file (`age -p keys.txt`, as sops allows).
    try {
      text = Buffer.from(decrypt(raw, [scryptIdentity(askPassphrase(`passphrase for ${file}`))])).toString('utf8')
    } catch (e) {
      const hint = e instanceof UserError && e.hint ? ` (${e.hint})` : ''
      set.problems.push(`${label} ${file}: ${(e as Error).message}${hint}`)
      return
    }
  }
  addKeys(set, text, `${label} ${file}`)
}

/**
 * Reads every identity source. Never throws: unusable sources are listed in `problems`, so a
 * checkout carries on with whatever keys do work.
 */
export function loadIdentities(env: NodeJS.ProcessEnv = process.env): IdentitySet {
  const set: IdentitySet = { identities: [], recipients: [], sources: [], problems: [] }
  const keyText = env['SOPS_AGE_KEY']
  if (keyText !== undefined) {
    if (keyText.trim() === '') set.problems.push('SOPS_AGE_KEY is set but empty')
    // sops accepts several keys separated by any whitespace, not only newlines
    else addKeys(set, keyText.split('\n').filter((l) => !l.trimStart().startsWith('#')).join(' ').split(/\s+/).filter(Boolean).join('\n'), 'SOPS_AGE_KEY')
  }
  const keyFile = env['SOPS_AGE_KEY_FILE']
  if (keyFile) readKeyFile(set, keyFile, 'SOPS_AGE_KEY_FILE')
  const keyCmd = env['SOPS_AGE_KEY_CMD']
  if (keyCmd) {
    try {
      // stdin is git's protocol stream: the command must not read it.
      const out = execFileSync('/bin/sh', ['-c', keyCmd], { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 })
      addKeys(set, out.toString('utf8'), 'SOPS_AGE_KEY_CMD')
    } catch (e) {
      const status = (e as { status?: number }).status
      set.problems.push(`SOPS_AGE_KEY_CMD failed${status === undefined ? '' : ` (exit ${status})`}`)
    }
  }
  for (const file of defaultKeyFiles(env)) {
    if (existsSync(file)) readKeyFile(set, file, 'key file')
  }
  // Last: age tries identities in order, so an SSH key is only parsed when the others failed.
  addSshKeys(set, env)
  return set
}

/**
 * An SSH identity parsed only when asked to open something that no earlier identity opened,
 * so a passphrase-protected ~/.ssh/id_ed25519 prompts only when it is actually needed.
 */
class LazySshIdentity implements Identity {
  private parsed: Identity[] | null = null
  constructor(
    private readonly file: string,
    private readonly pem: string,
  ) {}

  private identities(): Identity[] {
    if (!this.parsed) {
      const passphrase = (): string => askPassphrase(`passphrase for ${this.file}`)
      this.parsed = []
      try {
        this.parsed.push(parseSshIdentity(this.pem, passphrase))
        this.parsed.push(parseIdentity(sshToAgeIdentity(this.pem, passphrase)))
      } catch {
        // not an ed25519 key, or the passphrase was wrong: this identity opens nothing
      }
    }
    return this.parsed
  }

  unwrapFileKey(stanzas: Stanza[]): Uint8Array | null {
    for (const identity of this.identities()) {
      const key = identity.unwrapFileKey(stanzas)
      if (key) return key
    }
    return null
  }
}

function addSshKeys(set: IdentitySet, env: NodeJS.ProcessEnv): void {
  const explicit = env['SOPS_AGE_SSH_PRIVATE_KEY_FILE']
  const file = explicit || join(env['HOME'] || homedir(), '.ssh', 'id_ed25519')
  if (!explicit && !existsSync(file)) return
  let pem: string
  try {
    pem = readFileSync(file, 'utf8')
  } catch (e) {
    set.problems.push(`SSH key ${file} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
    return
  }
  if (!pem.includes('BEGIN OPENSSH PRIVATE KEY')) {
    if (explicit) set.problems.push(`SOPS_AGE_SSH_PRIVATE_KEY_FILE ${file} is not an OpenSSH private key`)
    return
  }
  set.identities.push(new LazySshIdentity(file, pem))
  set.sources.push(`SSH key ${file}`)
}
