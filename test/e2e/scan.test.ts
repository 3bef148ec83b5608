// Credentials in files no rule covers: the guard warns (or refuses) with the rule to add, using
// secretlint's maintained rules; ordinary files stay silent; verify does the same over history;
// the detector never loads in the filter. Credentials are generated here, never fixed strings.
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { chmodSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseConfig, starterConfig } from '../../src/config/index.js'
import { scanBlobs } from '../../src/operations/scan.js'
import { BUNDLE, ROOT, Repo, expectNoLeak, isAgeFile, newKey, sealedRepo, tempDir } from '../helpers/repo.js'

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const pick = (alphabet: string, n: number): string =>
  Array.from(randomBytes(n), (b) => alphabet[b % alphabet.length]).join('')

/** Credentials of the kinds the issue names, fresh for each run. */
function credentials(): Record<string, { path: string; content: string; value: string; rule: string }> {
  const github = `ghp_${pick(ALNUM, 36)}`
  const awsId = `AKIA${pick('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}`
  const awsSecret = pick(ALNUM, 40)
  const awsFileSecret = pick(ALNUM, 40)
  const slack = `xoxb-${pick('0123456789', 12)}-${pick('0123456789', 13)}-${pick(ALNUM, 24)}`
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  })
  const dbPassword = pick(ALNUM, 24)
  return {
    github: {
      path: 'src/client.ts',
      content: `export const client = new Octokit({ auth: "${github}" })\n`,
      value: github,
      rule: 'github',
    },
    // secretlint reports the secret access key; a key id alone identifies, it does not authenticate.
    awsFile: {
      path: 'deploy/aws.ini',
      content: `[default]\naws_access_key_id = ${awsId}\naws_secret_access_key = ${awsFileSecret}\n`,
      value: awsFileSecret,
      rule: 'aws',
    },
    awsSecret: {
      path: 'deploy/aws.sh',
      content: `#!/bin/sh\nexport AWS_SECRET_ACCESS_KEY=${awsSecret}\n`,
      value: awsSecret,
      rule: 'aws',
    },
    slack: {
      path: 'notify/slack.json',
      content: `{\n  "channel": "#ops",\n  "token": "${slack}"\n}\n`,
      value: slack,
      rule: 'slack',
    },
    privateKey: { path: 'keys/deploy.pem', content: privateKey, value: privateKey.split('\n')[1]!, rule: 'privatekey' },
    dotenv: { path: 'app/.env', content: `DATABASE_PASSWORD=${dbPassword}\n`, value: dbPassword, rule: 'no-dotenv' },
  }
}

/** Files every repository has: none of them is a credential. */
const ORDINARY: Record<string, string> = {
  'README.md': '# Example\n\nRun `npm ci`, then `npm test`. The API key goes in secrets/api-key.txt (encrypted).\n',
  'package.json':
    JSON.stringify(
      { name: 'example', version: '1.0.0', scripts: { test: 'vitest' }, dependencies: { yaml: '^2.9.1' } },
      null,
      2,
    ) + '\n',
  'src/index.ts':
    'import { readFileSync } from "node:fs"\nexport const token = process.env.API_TOKEN ?? ""\nexport const config = JSON.parse(readFileSync("config.json", "utf8"))\n',
  'package-lock.json': `{\n  "packages": {\n    "node_modules/yaml": {\n      "integrity": "sha512-${randomBytes(64).toString('base64')}"\n    }\n  }\n}\n`,
  'docs/ids.txt': `commit ${randomBytes(20).toString('hex')}\nuuid 2f1c6a9e-7b1d-4c61-9f0e-3e2a4b5c6d7e\nrecipient ${newKey().recipient}\n`,
  '.env.example': 'DATABASE_PASSWORD=\nAPI_TOKEN=changeme\n',
}

function scanRepo(mode: string | null): { repo: Repo } {
  const { repo } = sealedRepo(['secrets/**'])
  if (mode !== null) {
    repo.write('.gitseal.yaml', repo.read('.gitseal.yaml').toString() + `scan: ${mode}\n`)
    repo.git('add', '.gitseal.yaml')
    repo.git('commit', '-qm', `scan: ${mode}`)
  }
  return { repo }
}

describe('the guard scans staged files no rule covers', () => {
  it('warns about AWS, GitHub, Slack, private keys and .env files, naming the detector rule and the secret rule to add; the commit goes on', () => {
    const { repo } = scanRepo('warn')
    const creds = credentials()
    for (const c of Object.values(creds)) repo.write(c.path, c.content)
    repo.git('add', '.')
    const commit = repo.tryGit('commit', '-qm', 'credentials')
    expect(commit.status, commit.stderr).toBe(0)
    for (const c of Object.values(creds)) {
      expect(commit.stderr).toMatch(
        new RegExp(`warning: ${c.path.replace(/[.]/g, '\\.')} looks like it holds a credential \\(${c.rule}: `),
      )
      // Never the value itself, in any form.
      expect(commit.stderr).not.toContain(c.value)
    }
    expect(commit.stderr).toContain('add this secret to .gitseal.yaml under groups.dev.secrets:')
    expect(commit.stderr).toContain('git-seal: hint:   client-ts:\ngit-seal: hint:     path: "src/client.ts"')
    expect(commit.stderr).toContain('path: "app/.env"')
    expect(commit.stderr).toContain("'secretlint-disable-line'")
  })

  it('is silent on ordinary files', () => {
    const { repo } = scanRepo('warn')
    for (const [path, content] of Object.entries(ORDINARY)) repo.write(path, content)
    repo.git('add', '.')
    const commit = repo.run('git', ['commit', '-qm', 'ordinary'], { env: { ...repo.env, GIT_SEAL_DEBUG: 'scan' } })
    expect(commit.status, commit.stderr).toBe(0)
    expect(commit.stderr).toMatch(/debug: scan: detector loaded in [\d.]+ ms; 6 file\(s\) scanned/)
    expect(commit.stderr).not.toContain('warning')
  })

  it('does not scan secrets (a rule covers them) nor ciphertext', () => {
    const { repo } = scanRepo('refuse')
    const creds = credentials()
    repo.write('secrets/github.ts', creds.github!.content)
    repo.git('add', '.')
    const commit = repo.tryGit('commit', '-qm', 'a secret')
    expect(commit.status, commit.stderr).toBe(0)
    expect(commit.stderr).not.toContain('credential')
    expect(isAgeFile(repo.blob('HEAD:secrets/github.ts'))).toBe(true)
    expectNoLeak(repo, creds.github!.value)
  })

  it("with 'scan: refuse' refuses the commit; following the hint (the rule, 'git-seal sync') commits it encrypted", () => {
    const { repo } = scanRepo('refuse')
    const creds = credentials()
    repo.write(creds.slack!.path, creds.slack!.content)
    repo.git('add', '.')
    const refused = repo.tryGit('commit', '-qm', 'slack')
    expect(refused.status).not.toBe(0)
    expect(refused.stderr).toContain(
      'error: notify/slack.json looks like it holds a credential (slack: SLACK_TOKEN at line 3)',
    )
    expect(refused.stderr).toContain("1 file(s) look like credentials ('scan: refuse' in .gitseal.yaml)")
    expect(refused.stderr).toContain('commit refused')
    expect(repo.tryGit('rev-parse', '-q', '--verify', 'HEAD:notify/slack.json').status).not.toBe(0)
    // The rule the hint names, added as it says.
    const config = repo
      .read('.gitseal.yaml')
      .toString()
      .replace('    secrets:\n', '    secrets:\n      slack-json:\n        path: "notify/slack.json"\n')
    repo.write('.gitseal.yaml', config)
    const sync = repo.seal('sync')
    expect(sync.status, sync.stderr).toBe(0)
    repo.git('add', '.gitseal.yaml', '.gitattributes')
    const commit = repo.tryGit('commit', '-qm', 'slack, encrypted')
    expect(commit.status, commit.stderr).toBe(0)
    expect(repo.blob('HEAD:notify/slack.json').toString()).toMatch(/"token": "ENC\[AES256_GCM,/)
    expect(repo.blob('HEAD:notify/slack.json').includes(creds.slack!.value)).toBe(false)
  })

  it("with 'scan: off', or no scan key (configs written before it), the detector is not even loaded", () => {
    for (const mode of ['off', null]) {
      const { repo } = scanRepo(mode)
      const creds = credentials()
      repo.write(creds.github!.path, creds.github!.content)
      repo.git('add', '.')
      const commit = repo.run('git', ['commit', '-qm', 'x'], { env: { ...repo.env, GIT_SEAL_DEBUG: 'scan' } })
      expect(commit.status, commit.stderr).toBe(0)
      expect(commit.stderr).not.toContain('detector loaded')
      expect(commit.stderr).not.toContain('credential')
    }
  })
})

describe('verify scans what it walks', () => {
  it('HEAD, a range and --all report a credential committed past the guard; refuse fails, warn does not', () => {
    const { repo } = scanRepo('refuse')
    const base = repo.git('rev-parse', 'HEAD').trim()
    const creds = credentials()
    repo.write(creds.awsSecret!.path, creds.awsSecret!.content)
    repo.git('add', '.')
    repo.git('commit', '-qm', 'aws', '--no-verify')
    const head = repo.seal('verify')
    expect(head.status).toBe(1)
    expect(head.stderr).toContain('deploy/aws.sh looks like it holds a credential (aws: AWSSecretAccessKey at line 2)')
    const range = repo.seal('verify', `${base}..HEAD`)
    expect(range.status).toBe(1)
    expect(range.stderr).toMatch(/commit [0-9a-f]{12}: deploy\/aws\.sh looks like it holds a credential/)
    expect(repo.seal('verify', '--all').status).toBe(1)
    expect(range.stderr).not.toContain(creds.awsSecret!.value)

    repo.write('.gitseal.yaml', repo.read('.gitseal.yaml').toString().replace('scan: refuse', 'scan: warn'))
    repo.git('commit', '-qam', 'warn only')
    const warned = repo.seal('verify')
    expect(warned.status, warned.stderr).toBe(0)
    expect(warned.stderr).toContain('warning: deploy/aws.sh looks like it holds a credential')
  })

  it("a branch that sets 'scan: off' is still scanned by the stricter config at the range's base", () => {
    const { repo } = scanRepo('refuse')
    const base = repo.git('rev-parse', 'HEAD').trim()
    repo.write('.gitseal.yaml', repo.read('.gitseal.yaml').toString().replace('scan: refuse', 'scan: off'))
    const creds = credentials()
    repo.write(creds.github!.path, creds.github!.content)
    repo.git('add', '.')
    repo.git('commit', '-qm', 'off, and a token', '--no-verify')
    const r = repo.seal('verify', `${base}..HEAD`)
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('src/client.ts looks like it holds a credential (github: GITHUB_TOKEN at line 1)')
  })
})

describe('verify --pre-receive scans the pushed commits', () => {
  it("rejects a push bringing a credential with 'scan: refuse', and lets it through with a warning with 'warn'", () => {
    const { repo } = scanRepo('refuse')
    const bare = join(tempDir('git-seal-server-'), 'server.git')
    repo.git('init', '-q', '--bare', bare)
    const hook = join(bare, 'hooks', 'pre-receive')
    writeFileSync(hook, `#!/bin/sh\nexec "${process.execPath}" "${BUNDLE}" verify --pre-receive\n`)
    chmodSync(hook, 0o755)
    expect(repo.tryGit('push', '-q', bare, 'main').status).toBe(0)
    const creds = credentials()
    repo.write(creds.privateKey!.path, creds.privateKey!.content)
    repo.git('add', '.')
    repo.git('commit', '-q', '--no-verify', '-m', 'a key')
    const refused = repo.tryGit('push', bare, 'main')
    expect(refused.status).not.toBe(0)
    expect(refused.stderr).toContain(
      'keys/deploy.pem looks like it holds a credential (privatekey: PrivateKey at line 1)',
    )
    expect(refused.stderr).toContain('push to refs/heads/main rejected')
    expect(refused.stderr).not.toContain(creds.privateKey!.value)
    // The pushed commit lowers the scan to warn; the server's old tip still says refuse.
    repo.write('.gitseal.yaml', repo.read('.gitseal.yaml').toString().replace('scan: refuse', 'scan: warn'))
    repo.git('commit', '-q', '--no-verify', '-am', 'warn only')
    expect(repo.tryGit('push', bare, 'main').status).not.toBe(0)
    // A new branch on a server whose default branch says warn: accepted, with the warning.
    repo.git('branch', 'feature')
    repo.git('reset', '-q', '--hard', 'HEAD~2')
    repo.write('.gitseal.yaml', repo.read('.gitseal.yaml').toString().replace('scan: refuse', 'scan: warn'))
    repo.git('commit', '-q', '--no-verify', '-am', 'warn only, on main')
    expect(repo.tryGit('push', '-q', bare, '+main').status).toBe(0)
    const warned = repo.tryGit('push', bare, 'feature')
    expect(warned.status, warned.stderr).toBe(0)
    expect(warned.stderr).toContain('warning: commit')
    expect(warned.stderr).toContain('keys/deploy.pem looks like it holds a credential')
  })
})

describe('the scan config', () => {
  it('accepts warn, refuse and off at the top of .gitseal.yaml (version 1); anything else is an error naming the line', () => {
    const key = newKey()
    const base = `version: 1\ngroups:\n  g:\n    recipients:\n      admins:\n        - name: a\n          key: ${key.recipient}\n`
    for (const mode of ['warn', 'refuse', 'off'] as const) expect(parseConfig(`${base}scan: ${mode}\n`).scan).toBe(mode)
    expect(parseConfig(base).scan).toBeUndefined()
    expect(() => parseConfig(`${base}scan: yes\n`)).toThrow(/\.gitseal\.yaml:8:7: scan: must be warn, refuse, off/)
    expect(() => parseConfig(`${base}scan: [warn]\n`)).toThrow(/scan: must be warn, refuse, off/)
  })

  it("the starter config init writes says 'scan: warn'", () => {
    const key = newKey()
    expect(parseConfig(starterConfig('alice', key.recipient)).scan).toBe('warn')
  })
})

describe('the detector over many files', () => {
  it("makes no performance marks: secretlint's profiler searches all earlier ones for each (quadratic: 2,000 files took 48 s)", async () => {
    const files = Array.from({ length: 50 }, (_, i) => ({
      path: `src/f${i}.txt`,
      oid: i.toString(16).padStart(40, '0'),
    }))
    const objects = {
      get: async (oid: string) => ({ oid, type: 'blob', content: Buffer.from(`file ${oid}\n`) }),
      close() {},
    }
    performance.clearMarks()
    const { scanned, findings } = await scanBlobs(objects, files, null)
    expect(scanned).toBe(50)
    expect(findings).toEqual([])
    expect(performance.getEntriesByType('mark')).toEqual([])
  })
})

describe('the detector never loads in the filter', () => {
  /** Every chunk a bundle file reaches through static and dynamic imports. */
  function reachable(file: string, seen = new Set<string>()): Set<string> {
    if (seen.has(file)) return seen
    seen.add(file)
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(/(?:from\s*|import\s*\(?\s*)["'](\.\.?\/[^"']+\.mjs)["']/g))
      reachable(join(file, '..', m[1]!), seen)
    return seen
  }
  const chunks = join(ROOT, 'dist', 'chunks')
  const detectorChunks = (): string[] =>
    readdirSync(chunks)
      .filter((f) => readFileSync(join(chunks, f), 'utf8').includes('@secretlint/secretlint-rule-preset-recommend'))
      .map((f) => join(chunks, f))

  it('no chunk the filter, smudge, clean, textconv or merge entry reaches holds the detector; the guard and verify do reach it', () => {
    Repo.init() // builds the bundle when src/ is newer
    const detector = detectorChunks()
    expect(detector.length).toBeGreaterThan(0)
    const entry = (name: string): string => join(chunks, readdirSync(chunks).find((f) => f.startsWith(`${name}-`))!)
    for (const name of ['filter-process', 'clean', 'smudge', 'merge']) {
      const reached = reachable(entry(name))
      for (const d of detector) expect(reached.has(d), `${name} reaches ${d}`).toBe(false)
    }
    // textconv is in the entry itself: only its static imports count (the others are the command table).
    const main = readFileSync(join(ROOT, 'dist', 'git-seal.mjs'), 'utf8')
    const staticImports = [...main.matchAll(/^import\s[^;]*?["'](\.\/chunks\/[^"']+\.mjs)["']/gm)].map((m) =>
      join(ROOT, 'dist', m[1]!),
    )
    const reachedByMain = new Set<string>()
    for (const s of staticImports) reachable(s, reachedByMain)
    for (const d of detector) expect(reachedByMain.has(d)).toBe(false)
    for (const name of ['guard', 'verify'])
      expect(
        detector.some((d) => reachable(entry(name)).has(d)),
        name,
      ).toBe(true)
  })
})
