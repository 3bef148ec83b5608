// Every identity source sops reads, each tried; unusable sources reported without key material.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { encrypt, parseRecipient, decrypt } from '../../src/age/index.js'
import { defaultKeyFile, loadIdentities } from '../../src/keys/identities.js'
import { newKey, tempDir } from '../helpers/repo.js'

function opens(set: ReturnType<typeof loadIdentities>, recipient: string): boolean {
  const blob = encrypt(Buffer.from('x'), [parseRecipient(recipient)])
  try {
    return Buffer.from(decrypt(blob, set.identities)).toString() === 'x'
  } catch {
    return false
  }
}

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const home = tempDir('git-seal-keys-')
  return { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), PATH: process.env['PATH'] ?? '', ...extra }
}

describe('identity sources', () => {
  it('reads SOPS_AGE_KEY, with several keys separated by newlines or spaces', () => {
    const a = newKey()
    const b = newKey()
    const set = loadIdentities(env({ SOPS_AGE_KEY: `# comment\n${a.identity} ${b.identity}\n` }))
    expect(set.problems).toEqual([])
    expect(opens(set, a.recipient) && opens(set, b.recipient)).toBe(true)
  })

  it('reads SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD and the default file, all together', () => {
    const [a, b, c] = [newKey(), newKey(), newKey()]
    const e = env()
    const file = join(e['HOME']!, 'k.txt')
    writeFileSync(file, `${a.identity}\n`, { mode: 0o600 })
    const def = defaultKeyFile(e)
    mkdirSync(join(def, '..'), { recursive: true })
    writeFileSync(def, `# created\n\n${c.identity}\r\n`, { mode: 0o600 })
    const set = loadIdentities({ ...e, SOPS_AGE_KEY_FILE: file, SOPS_AGE_KEY_CMD: `printf '%s\\n' '${b.identity}'` })
    expect(set.problems).toEqual([])
    expect([a, b, c].map((k) => opens(set, k.recipient))).toEqual([true, true, true])
    expect(set.sources).toHaveLength(3)
  })

  it.each([
    ['an empty SOPS_AGE_KEY', { SOPS_AGE_KEY: '  ' }, 'SOPS_AGE_KEY is set but empty'],
    ['a failing SOPS_AGE_KEY_CMD', { SOPS_AGE_KEY_CMD: 'exit 3' }, 'SOPS_AGE_KEY_CMD failed (exit 3)'],
    [
      'a key command that explains itself',
      { SOPS_AGE_KEY_CMD: 'echo "op: not signed in" >&2; echo "line two" >&2; exit 1' },
      'SOPS_AGE_KEY_CMD failed (exit 1): op: not signed in | line two',
    ],
    [
      'a key command that is not there',
      { SOPS_AGE_KEY_CMD: 'no-such-password-manager get key' },
      'SOPS_AGE_KEY_CMD failed (exit 127): /bin/sh:',
    ],
    ['a missing SOPS_AGE_KEY_FILE', { SOPS_AGE_KEY_FILE: '/nonexistent/keys.txt' }, 'cannot be read: ENOENT'],
    ['junk in SOPS_AGE_KEY', { SOPS_AGE_KEY: 'AGE-SECRET-KEY-1NOTVALID' }, 'SOPS_AGE_KEY'],
  ])('reports %s and carries on', (_name, extra, message) => {
    const good = newKey()
    const e = env(extra as Record<string, string>)
    const def = defaultKeyFile(e)
    mkdirSync(join(def, '..'), { recursive: true })
    writeFileSync(def, good.identity + '\n', { mode: 0o600 })
    const set = loadIdentities(e)
    expect(set.problems.join('\n')).toContain(message)
    expect(set.problems.join('\n')).not.toContain('AGE-SECRET-KEY-1NOTVALID'.slice(15))
    expect(opens(set, good.recipient)).toBe(true)
  })

  it('warns about a key file readable by others, and still uses it', () => {
    const key = newKey()
    const e = env()
    const def = defaultKeyFile(e)
    mkdirSync(join(def, '..'), { recursive: true })
    writeFileSync(def, key.identity + '\n')
    chmodSync(def, 0o644)
    const set = loadIdentities(e)
    expect(set.problems.join('\n')).toMatch(/readable by others \(mode 644\).*chmod 600/)
    expect(opens(set, key.recipient)).toBe(true)
  })

  it('finds nothing in an empty HOME', () => {
    const set = loadIdentities(env())
    expect(set.identities).toEqual([])
    expect(set.problems).toEqual([])
  })
})
