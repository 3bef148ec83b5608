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
 * the terminal, once. Any source may hold plugin identities (`AGE-PLUGIN-NAME-1…`, as
 * `age-plugin-yubikey --identity` prints them): they are tried last, one identity per plugin
 * name holding all of that plugin's keys, so a hardware key is asked only about what no
 * software key opened.
 * https://github.com/getsops/sops#encrypting-using-age
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import {
  decrypt,
  isPluginIdentity,
  looksLikeAge,
  parseIdentity,
  parseIdentityFile,
  parseSshIdentity,
  pluginIdentities,
  identityToRecipient,
  scryptIdentity,
  sshToAgeIdentity,
  type Identity,
  type Stanza,
} from '../age/index.js'
import { askPassphrase } from './passphrase.js'
import { UserError } from '../errors.js'

export interface IdentitySet {
  identities: Identity[]
  /** the age1… recipient of each identity, to tell which secrets we can open (of a plugin identity, only when its key file says it in a comment) */
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

/** Plugin identities found so far, per set: grouped by plugin once every source is read. */
const pluginLines = new WeakMap<IdentitySet, string[]>()
/** Recipients of those identities, when their key file says (see {@link pluginRecipientComments}). */
const pluginRecipients = new WeakMap<IdentitySet, string[]>()

/**
 * Only the plugin knows a plugin identity's recipient, but the tools that write identity files
 * say it in a comment above it: `#    Recipient: age1yubikey1…` (age-plugin-yubikey),
 * `# public key: age1…` (age-keygen, some plugins). Read from there, for `init` and messages.
 */
function pluginRecipientComments(text: string): string[] {
  const out: string[] = []
  let pending: string | null = null
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '').trim()
    const comment = /^#\s*(?:recipient|public key):\s*(age1[0-9a-z]+1[02-9ac-hj-np-z]+)\s*$/i.exec(line)
    if (comment) pending = comment[1]!
    else if (isPluginIdentity(line)) {
      if (pending) out.push(pending)
      pending = null
    } else if (!line.startsWith('#')) pending = null
  }
  return out
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
  pluginRecipients.get(set)?.push(...pluginRecipientComments(text))
  for (const line of lines) {
    if (isPluginIdentity(line)) {
      pluginLines.get(set)?.push(line)
      continue
    }
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
      set.problems.push(
        `${label} ${file} is readable by others (mode ${(mode & 0o777).toString(8)}); run 'chmod 600 ${file}'`,
      )
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

/** The most of a key command's stderr a message quotes. */
const MAX_QUOTED_STDERR = 600

/**
 * Why SOPS_AGE_KEY_CMD failed, with the command's own stderr (its last lines, capped): a
 * password manager saying "not signed in" is what the user needs to see. stdout, which may
 * hold part of a key, is never quoted.
 */
export function keyCommandFailure(e: { status?: number | null; signal?: string | null; stderr?: Buffer }): string {
  const how = e.signal
    ? ` (killed by ${e.signal}${e.signal === 'SIGTERM' ? ': it ran longer than 60 s' : ''})`
    : typeof e.status === 'number'
      ? ` (exit ${e.status})`
      : ''
  let stderr = (e.stderr?.toString('utf8') ?? '').replace(/\r/g, '').trim()
  if (stderr.length > MAX_QUOTED_STDERR) stderr = `…${stderr.slice(-MAX_QUOTED_STDERR)}`
  return `SOPS_AGE_KEY_CMD failed${how}${stderr ? `: ${stderr.split('\n').join(' | ')}` : ''}`
}

/**
 * Reads every identity source. Never throws: unusable sources are listed in `problems`, so a
 * checkout carries on with whatever keys do work.
 */
export function loadIdentities(env: NodeJS.ProcessEnv = process.env): IdentitySet {
  const set: IdentitySet = { identities: [], recipients: [], sources: [], problems: [] }
  pluginLines.set(set, [])
  pluginRecipients.set(set, [])
  const keyText = env['SOPS_AGE_KEY']
  if (keyText !== undefined) {
    if (keyText.trim() === '') set.problems.push('SOPS_AGE_KEY is set but empty')
    // sops accepts several keys separated by any whitespace, not only newlines
    else
      addKeys(
        set,
        keyText
          .split('\n')
          .filter((l) => !l.trimStart().startsWith('#'))
          .join(' ')
          .split(/\s+/)
          .filter(Boolean)
          .join('\n'),
        'SOPS_AGE_KEY',
      )
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
      set.problems.push(keyCommandFailure(e as { status?: number | null; signal?: string | null; stderr?: Buffer }))
    }
  }
  for (const file of defaultKeyFiles(env)) {
    if (existsSync(file)) readKeyFile(set, file, 'key file')
  }
  // Last: age tries identities in order, so an SSH key is only parsed when the others failed.
  addSshKeys(set, env)
  // Plugins after everything else: they start a process, and may want a PIN or a touch.
  const plugins = [...new Set(pluginLines.get(set))]
  if (plugins.length > 0) set.identities.push(...pluginIdentities(plugins))
  for (const r of pluginRecipients.get(set) ?? []) if (!set.recipients.includes(r)) set.recipients.push(r)
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
