// `verify --format sarif`: a SARIF 2.1.0 log on stdout with a rule per kind of finding, so code
// review shows them on the files. Checked against the structure the SARIF 2.1.0 spec requires
// (version, runs[].tool.driver.name, results[].message.text, ruleId/ruleIndex into the rules,
// relative URIs with a base id), and for never holding a secret's value.
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { sealedRepo, type Repo } from '../helpers/repo.js'

const MARKER = 'sarif-plaintext-marker'

interface SarifLog {
  $schema: string
  version: string
  runs: {
    tool: {
      driver: {
        name: string
        version: string
        rules: {
          id: string
          name: string
          shortDescription: { text: string }
          help: { text: string }
          defaultConfiguration: { level: string }
        }[]
      }
    }
    originalUriBaseIds: Record<string, { uri: string }>
    results: {
      ruleId: string
      ruleIndex: number
      level: string
      message: { text: string }
      locations?: {
        physicalLocation: { artifactLocation: { uri: string; uriBaseId: string }; region?: { startLine: number } }
      }[]
      properties?: Record<string, string>
    }[]
  }[]
}

/** The structure SARIF 2.1.0 requires of what we write (§3.13, §3.14, §3.19, §3.27, §3.49). */
function expectValidSarif(log: SarifLog): void {
  expect(log.version).toBe('2.1.0')
  expect(log.$schema).toMatch(/sarif-2\.1\.0/)
  expect(log.runs).toHaveLength(1)
  const run = log.runs[0]!
  expect(run.tool.driver.name).toBe('git-seal')
  const ids = run.tool.driver.rules.map((r) => r.id)
  expect(new Set(ids).size).toBe(ids.length)
  for (const rule of run.tool.driver.rules) {
    expect(rule.shortDescription.text.length).toBeGreaterThan(0)
    expect(rule.help.text.length).toBeGreaterThan(0)
    expect(['error', 'warning', 'note']).toContain(rule.defaultConfiguration.level)
  }
  expect(run.originalUriBaseIds['%SRCROOT%']?.uri).toBe('./')
  for (const result of run.results) {
    expect(ids[result.ruleIndex]).toBe(result.ruleId)
    expect(['error', 'warning', 'note']).toContain(result.level)
    expect(result.message.text.length).toBeGreaterThan(0)
    for (const loc of result.locations ?? []) {
      const { uri, uriBaseId } = loc.physicalLocation.artifactLocation
      expect(uriBaseId).toBe('%SRCROOT%')
      // A relative reference: no scheme, no leading slash, characters a URI allows.
      expect(uri).toMatch(/^[A-Za-z0-9\-._~%!$&'()*+,;=:@/]+$/)
      expect(uri.startsWith('/')).toBe(false)
      if (loc.physicalLocation.region) expect(loc.physicalLocation.region.startLine).toBeGreaterThanOrEqual(1)
    }
  }
}

function sarif(repo: Repo, ...args: string[]): { status: number | null; log: SarifLog; stderr: string } {
  const r = repo.seal('verify', '--format', 'sarif', ...args)
  return { status: r.status, log: JSON.parse(r.stdout) as SarifLog, stderr: r.stderr }
}

describe('verify --format sarif', () => {
  it('a result per finding, each under its kind of rule, located at the file (and line); never the value', () => {
    const { repo } = sealedRepo(['secrets/**'])
    repo.write('.gitseal.yaml', repo.read('.gitseal.yaml').toString() + 'scan: warn\n')
    repo.git('commit', '-qam', 'scan')
    const base = repo.git('rev-parse', 'HEAD').trim()
    // A clone without git-seal: plaintext at secret paths, and a token no rule covers.
    const token = `ghp_${randomBytes(27).toString('base64').replace(/[+/=]/g, 'a').slice(0, 36)}`
    repo.stageRaw('secrets/db.txt', `${MARKER}\n`)
    repo.stageRaw('secrets/with space ü.txt', `${MARKER}-2\n`)
    repo.stageRaw('src/client.ts', `\n\nconst auth = "${token}"\n`)
    repo.git('commit', '-q', '--no-verify', '-m', 'plaintext')

    const { status, log, stderr } = sarif(repo, `${base}..HEAD`)
    expect(status).toBe(1)
    expectValidSarif(log)
    const run = log.runs[0]!
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual([
      'plaintext-secret',
      'plaintext-blob-ref',
      'config-missing-or-invalid',
      'attributes-rewrite-ciphertext',
      'textconv-cache',
      'credential-outside-rules',
      'plaintext-worktree',
      'recipient-mismatch',
    ])
    const byRule = (id: string) => run.results.filter((r) => r.ruleId === id)
    const plaintext = byRule('plaintext-secret')
    expect(plaintext.map((r) => r.locations![0]!.physicalLocation.artifactLocation.uri).sort()).toEqual([
      'secrets/db.txt',
      'secrets/with%20space%20%C3%BC.txt',
    ])
    expect(plaintext.every((r) => r.level === 'error' && /^[0-9a-f]{40}$/.test(r.properties!['commit']!))).toBe(true)
    const credentials = byRule('credential-outside-rules')
    expect(credentials).toHaveLength(1)
    expect(credentials[0]!.level).toBe('warning')
    expect(credentials[0]!.locations![0]!.physicalLocation).toEqual({
      artifactLocation: { uri: 'src/client.ts', uriBaseId: '%SRCROOT%' },
      region: { startLine: 3 },
    })
    expect(credentials[0]!.properties!['detector']).toBe('github: GITHUB_TOKEN at line 3')
    const text = JSON.stringify(log)
    expect(text).not.toContain(MARKER)
    expect(text).not.toContain(token)
    // The terminal still gets the human form on stderr.
    expect(stderr).toContain('secrets/db.txt holds a secret in plaintext')
  })

  it("'scan: refuse' makes credential results errors; HEAD and --all speak SARIF too", () => {
    const { repo } = sealedRepo(['secrets/**'])
    repo.write('.gitseal.yaml', repo.read('.gitseal.yaml').toString() + 'scan: refuse\n')
    repo.write('.env', 'DB_PASSWORD=example\n')
    repo.git('add', '.')
    repo.git('commit', '-q', '--no-verify', '-m', 'dotenv')
    for (const args of [[], ['--all']]) {
      const { status, log } = sarif(repo, ...args)
      expect(status).toBe(1)
      expectValidSarif(log)
      const results = log.runs[0]!.results
      expect(results.map((r) => [r.ruleId, r.level, r.locations![0]!.physicalLocation.artifactLocation.uri])).toEqual([
        ['credential-outside-rules', 'error', '.env'],
      ])
    }
  })

  it('a clean history gives a valid log with no result, exit 0', () => {
    const { repo } = sealedRepo(['secrets/**'])
    repo.write('secrets/a.txt', `${MARKER}\n`)
    repo.git('add', '.')
    repo.git('commit', '-qm', 'a secret')
    for (const args of [[], ['--all'], ['HEAD~1..HEAD']]) {
      const { status, log } = sarif(repo, ...args)
      expect(status).toBe(0)
      expectValidSarif(log)
      expect(log.runs[0]!.results).toEqual([])
    }
    const bad = repo.seal('verify', '--format', 'xml')
    expect(bad.status).toBe(2) // a usage error
    expect(bad.stderr).toContain("unknown format 'xml'")
  })
})
