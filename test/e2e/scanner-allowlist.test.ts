// The gitleaks allowlist for git-seal's ciphertext: its exact output (golden), that its regexes
// match every line of real ciphertext git-seal writes (age headers, sops values, metadata,
// armor), and that plaintext at a secret path (a clone without git-seal) is still reported.
// gitleaks itself is not installed here (Debian bookworm has no package): its allowlist
// semantics (regexTarget = "line": an unanchored RE2 search of the finding's line, any regex
// of the list) are reimplemented below, with detectors that flag every token-like run the way
// entropy-based scanners do, and the regexes are kept to the syntax RE2 and JavaScript share.
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ALLOWLIST_REGEXES } from '../../src/operations/scanner-allowlist.js'
import { ROOT, Repo, isAgeFile, newHome, newKey, simpleConfig, tempDir } from '../helpers/repo.js'

const GOLDEN = join(ROOT, 'test', 'fixtures', 'scanner-allowlist', 'gitleaks.toml')
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const pick = (alphabet: string, n: number): string =>
  Array.from(randomBytes(n), (b) => alphabet[b % alphabet.length]).join('')

/** The regexes as gitleaks reads them from the TOML (literal strings: no escapes). */
function regexesOf(toml: string): RegExp[] {
  return [...toml.matchAll(/^ {2}'''(.*)''',$/gm)].map((m) => new RegExp(m[1]!))
}

/** What the scanner flags on a line: known token shapes, assignments of secrets, and any long base64-like run (as entropy checks do). */
const DETECTORS = [
  /ghp_[0-9A-Za-z]{36}/,
  /AKIA[A-Z2-7]{16}/,
  /(?:key|token|secret|password)["']?[ \t]*[:=][ \t]*["']?[^\s"']{6,}/i,
  /-----BEGIN[ A-Z]*PRIVATE KEY-----/,
  /[A-Za-z0-9+/]{20,}/,
]

/** gitleaks with regexTarget = "line": each flagged line, unless an allowlist regex matches it. */
function reported(text: string, allowlist: RegExp[]): string[] {
  return text.split('\n').filter((line) => DETECTORS.some((d) => d.test(line)) && !allowlist.some((r) => r.test(line)))
}

/** An ssh-ed25519 public key line, made here. */
function sshRecipient(): string {
  const raw = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32)
  const field = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b])
  return `ssh-ed25519 ${Buffer.concat([field(Buffer.from('ssh-ed25519')), field(raw)]).toString('base64')} test@host`
}

function secretFiles(): Record<string, string> {
  const github = `ghp_${pick(ALNUM, 36)}`
  const aws = `AKIA${pick('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}`
  const password = pick(ALNUM, 20)
  return {
    'secrets/token.txt': `${github}\n`,
    'secrets/app.yaml': `# deploy credentials\ngithub_token: ${github}\naws:\n  access_key_id: ${aws}\n  ports: [8080, 8443]\nenabled: true\n`,
    'secrets/app.json':
      JSON.stringify({ github_token: github, aws: { access_key_id: aws }, retries: 3 }, null, 2) + '\n',
    'secrets/app.env': `GITHUB_TOKEN=${github}\nAWS_ACCESS_KEY_ID=${aws}\nDB_PASSWORD=${password}\n`,
    'secrets/app.ini': `[github]\ntoken = ${github}\n[db]\npassword = ${password}\n`,
  }
}

/** git-seal's ciphertext of those files, for an X25519 admin and an ssh-ed25519 one. */
function ciphertexts(files: Record<string, string>): Record<string, Buffer> {
  const key = newKey()
  const home = newHome()
  home.installKey(key)
  const repo = Repo.init(home)
  repo.write(
    '.gitseal.yaml',
    simpleConfig(
      ['secrets/**'],
      [
        { name: 'alice', key: key.recipient },
        { name: 'server', key: sshRecipient() },
      ],
    ),
  )
  expect(repo.seal('sync').status).toBe(0)
  expect(repo.seal('install').status).toBe(0)
  for (const [path, content] of Object.entries(files)) repo.write(path, content)
  repo.git('add', '.')
  return Object.fromEntries(Object.keys(files).map((p) => [p, repo.blob(`:${p}`)]))
}

describe('git-seal scanner-allowlist', () => {
  it('prints the gitleaks config (golden)', () => {
    const repo = Repo.init()
    const r = repo.seal('scanner-allowlist')
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toBe(readFileSync(GOLDEN, 'utf8'))
    expect(regexesOf(r.stdout).map((x) => x.source)).toEqual(ALLOWLIST_REGEXES.map((x) => new RegExp(x.regex).source))
    expect(r.stdout).toContain('regexTarget = "line"')
    // Content, never paths.
    expect(r.stdout).not.toMatch(/^\s*paths\s*=/m)
  })

  it('uses only syntax RE2 reads as JavaScript does, and anchors every regex at both ends', () => {
    for (const { regex } of ALLOWLIST_REGEXES) {
      expect(regex).not.toMatch(/\(\?[=!<]|\\[1-9]|\(\?[a-z]|\\s|\\d|\\w|\\z|\\Z/)
      expect(regex.startsWith('^')).toBe(true)
      expect(regex.endsWith('$')).toBe(true)
    }
  })

  it('matches every line of the ciphertext git-seal writes: age headers, sops values, recipients, armor', () => {
    const allowlist = regexesOf(readFileSync(GOLDEN, 'utf8'))
    const blobs = ciphertexts(secretFiles())
    const age = blobs['secrets/token.txt']!
    expect(isAgeFile(age)).toBe(true)
    // The header is text (a scanner reads it whenever the payload holds no NUL).
    const header = age
      .subarray(0, age.indexOf('\n---') + 1 + age.subarray(age.indexOf('\n---') + 1).indexOf('\n'))
      .toString('latin1')
      .split('\n')
    expect(header.some((l) => l.startsWith('-> X25519 '))).toBe(true)
    expect(header.some((l) => l.startsWith('-> ssh-ed25519 '))).toBe(true)
    header.forEach((line, i) => {
      // The known exception: the body of git-seal's recipient declaration stanza (public-key
      // fingerprints, 8 bytes each) ends in a short base64 line no line regex can tell from any
      // other; it holds no secret. Every other header line must be allowlisted.
      if (header[i - 1]?.startsWith('-> git-seal-recipients ') && /^[A-Za-z0-9+/]{0,63}\r?$/.test(line)) return
      expect(
        allowlist.some((r) => r.test(line)),
        line,
      ).toBe(true)
    })

    for (const path of ['secrets/app.yaml', 'secrets/app.json', 'secrets/app.env', 'secrets/app.ini']) {
      const lines = blobs[path]!.toString('utf8').split('\n')
      expect(lines.some((l) => l.includes('ENC[AES256_GCM,data:'))).toBe(true)
      const flagged = lines.filter((line, i) => {
        if (!DETECTORS.some((d) => d.test(line)) || allowlist.some((r) => r.test(line))) return false
        // The known exception: the last (short) base64 line of an armored key in a YAML block
        // cannot be told apart from any base64 line; gitleaks' default rules do not report it.
        const lastArmorLine =
          /^ +[A-Za-z0-9+/]{1,63}={0,2}$/.test(line) && lines[i + 1]?.trim() === '-----END AGE ENCRYPTED FILE-----'
        return !lastArmorLine
      })
      expect(flagged, path).toEqual([])
      expect(reported(blobs[path]!.toString('utf8'), allowlist).length, path).toBeLessThanOrEqual(2)
    }
  })

  it('plaintext at a secret path, committed by a clone without git-seal, is still reported, line by line', () => {
    const allowlist = regexesOf(readFileSync(GOLDEN, 'utf8'))
    const files = secretFiles()
    const clone = Repo.init()
    // No git-seal here: the files go in as they are.
    for (const [path, content] of Object.entries(files)) clone.write(path, content)
    clone.git('add', '.')
    for (const path of Object.keys(files)) {
      const stored = clone.blob(`:${path}`).toString('utf8')
      const credentialLines = stored.split('\n').filter((l) => /ghp_|AKIA|PASSWORD=|password =/.test(l))
      expect(credentialLines.length).toBeGreaterThan(0)
      expect(reported(stored, allowlist), path).toEqual(expect.arrayContaining(credentialLines))
      for (const line of credentialLines)
        expect(
          allowlist.some((r) => r.test(line)),
          line,
        ).toBe(false)
    }
  })

  it('a line that is ciphertext plus anything else is not allowed', () => {
    const allowlist = regexesOf(readFileSync(GOLDEN, 'utf8'))
    const value = `ENC[AES256_GCM,data:${randomBytes(12).toString('base64')},iv:${randomBytes(32).toString('base64')},tag:${randomBytes(16).toString('base64')},type:str]`
    const token = `ghp_${pick(ALNUM, 36)}`
    expect(allowlist.some((r) => r.test(`api_key: ${value}`))).toBe(true)
    for (const line of [
      `password: hunter2hunter2 # ${value}`,
      `api_key: ${value} ${token}`,
      `api_key: ${token}${value}`,
      `${token}`,
      `token: ${token}`,
      `-----BEGIN AGE ENCRYPTED FILE----- ${token}`,
      `-> X25519 ${token}`,
      `AKIA${pick('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}`,
      `        AKIA${pick('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}`,
      `recipient: ${newKey().recipient} ${token}`,
    ]) {
      expect(
        allowlist.some((r) => r.test(line)),
        line,
      ).toBe(false)
    }
  })

  it('-o writes a whole config, replaces its own block later, and leaves a foreign config alone', () => {
    const repo = Repo.init()
    const file = join(tempDir(), '.gitleaks.toml')
    expect(repo.seal('scanner-allowlist', '-o', file).status).toBe(0)
    expect(readFileSync(file, 'utf8')).toBe(readFileSync(GOLDEN, 'utf8'))
    expect(repo.seal('scanner-allowlist', '-o', file).stderr).toContain('is up to date')
    // An older block inside someone's config: replaced in place, the rest kept.
    const mine = `title = "mine"\n[extend]\nuseDefault = true\n\n# BEGIN git-seal allowlist (old)\n[[allowlists]]\nregexes = ['''old''']\n# END git-seal allowlist\n[[rules]]\nid = "x"\n`
    writeFileSync(
      file,
      mine.replace(
        '# BEGIN git-seal allowlist (old)',
        '# BEGIN git-seal allowlist (generated by `git-seal scanner-allowlist`; do not edit)',
      ),
    )
    expect(repo.seal('scanner-allowlist', '-o', file).status).toBe(0)
    const updated = readFileSync(file, 'utf8')
    expect(updated.startsWith('title = "mine"\n[extend]\nuseDefault = true\n\n# BEGIN git-seal allowlist')).toBe(true)
    expect(updated).not.toContain("'''old'''")
    expect(updated.endsWith('# END git-seal allowlist\n[[rules]]\nid = "x"\n')).toBe(true)
    const foreign = join(tempDir(), '.gitleaks.toml')
    writeFileSync(foreign, 'title = "theirs"\n')
    const r = repo.seal('scanner-allowlist', '-o', foreign)
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('holds no git-seal allowlist block')
    expect(readFileSync(foreign, 'utf8')).toBe('title = "theirs"\n')
    expect(existsSync(foreign)).toBe(true)
  })

  it('--format trufflehog is refused: trufflehog allowlists paths only', () => {
    const r = Repo.init().seal('scanner-allowlist', '--format', 'trufflehog')
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('a path allowlist would hide plaintext committed at a secret path')
    expect(r.stderr).toContain('--results=verified')
  })
})
