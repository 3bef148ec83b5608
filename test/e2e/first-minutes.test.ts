// The first minutes, with real git: init's starter config covers the usual secret files and
// leaves examples readable; files git already tracks are listed and their patterns left
// commented out; init twice changes nothing; the demo prints each step's messages once.
import { spawnSync } from 'node:child_process'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../src/config/index.js'
import { ROOT, Repo, expectNoLeak, isAgeFile, newHome } from '../helpers/repo.js'

const MARKER = 'first-minutes-marker-44e'

function freshRepo(): Repo {
  const repo = Repo.init(newHome())
  repo.git('config', 'user.name', 'Ann Lee')
  return repo
}

/** Every file of the work tree and the git dir (objects aside), with its bytes and mode. */
function snapshot(repo: Repo): Map<string, string> {
  const out = new Map<string, string>()
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name)
      const rel = relative(repo.dir, p)
      if (rel === join('.git', 'objects') || rel === join('.git', 'index')) continue
      if (e.isDirectory()) walk(p)
      else out.set(rel, `${statSync(p).mode}:${readFileSync(p).toString('base64')}`)
    }
  }
  walk(repo.dir)
  return out
}

describe('git-seal init', () => {
  it('the starter config covers .env, .env.*, *.key and secrets/**, not *.pem, and leaves examples readable', () => {
    const repo = freshRepo()
    const init = repo.seal('init')
    expect(init.status, init.stderr).toBe(0)
    const text = readFileSync(join(repo.dir, '.gitseal.yaml'), 'utf8')
    const config = parseConfig(text)
    expect(config.version).toBe(2)
    expect(config.people.map((p) => p.name)).toEqual(['ann-lee'])
    expect(config.secrets[0]!.patterns).toEqual(['.env', '.env.*', '*.key', 'secrets/**'])
    expect(config.secrets[0]!.excludes).toEqual(['.env.example', '.env.sample', '.env.template'])
    const attributes = readFileSync(join(repo.dir, '.gitattributes'), 'utf8')
    expect(attributes).toContain(
      'secrets/** filter=git-seal diff=git-seal merge=git-seal -text -ident !working-tree-encoding\n.env.example !filter !diff !merge\n.env.sample !filter !diff !merge\n.env.template !filter !diff !merge\n',
    )
    const files: Record<string, string> = {
      '.env': `TOKEN=${MARKER}\n`,
      'app/.env.production': `TOKEN=${MARKER}-prod\n`,
      'deploy/server.key': `${MARKER} key\n`,
      'secrets/db.txt': `${MARKER} db\n`,
      '.env.example': 'TOKEN=changeme\n',
      'app/.env.template': 'TOKEN=\n',
      'certs/ca.pem': '-----BEGIN CERTIFICATE-----\npublic\n',
    }
    for (const [path, content] of Object.entries(files)) repo.write(path, content)
    repo.git('add', '.')
    repo.git('commit', '-qm', 'first secrets')
    expect(repo.blob('HEAD:.env').toString()).toContain('ENC[AES256_GCM,')
    for (const path of ['app/.env.production', 'deploy/server.key', 'secrets/db.txt'])
      expect(isAgeFile(repo.blob(`HEAD:${path}`)), path).toBe(true)
    for (const path of ['.env.example', 'app/.env.template', 'certs/ca.pem'])
      expect(repo.blob(`HEAD:${path}`).toString(), path).toBe(files[path])
    expect(repo.seal('status').status).toBe(0)
    expectNoLeak(repo, MARKER)
  })

  it('files git already tracks are listed, and their patterns written commented out with the steps', () => {
    const repo = freshRepo()
    repo.write('.env', `TOKEN=${MARKER}\n`)
    repo.write('deploy/server.key', 'k\n')
    repo.write('.env.example', 'TOKEN=changeme\n')
    repo.git('add', '.')
    repo.git('commit', '-qm', 'before git-seal')
    const init = repo.seal('init')
    expect(init.status, init.stderr).toBe(0)
    expect(init.stderr).toContain(
      'git already tracks 2 file(s) the starter patterns match, in plaintext: .env, deploy/server.key',
    )
    expect(init.stderr).toContain("'git add --renormalize -- .env deploy/server.key'")
    expect(init.stderr).toContain('rotate their values')
    const text = readFileSync(join(repo.dir, '.gitseal.yaml'), 'utf8')
    expect(text).toContain('          # - ".env"\n          # - "*.key"\n')
    expect(parseConfig(text).secrets[0]!.patterns).toEqual(['.env.*', 'secrets/**'])
    // nothing tracked became a secret behind the user's back: .env is not filtered
    expect(repo.git('check-attr', 'filter', '--', '.env')).toContain('filter: unspecified')
    expect(repo.status()).toBe('?? .gitattributes\n?? .gitseal.yaml\n')
  })

  it('run a second time, it changes nothing', () => {
    const repo = freshRepo()
    expect(repo.seal('init').status).toBe(0)
    const before = snapshot(repo)
    const again = repo.seal('init')
    expect(again.status, again.stderr).toBe(0)
    expect(again.stderr).toContain('keeping the existing .gitseal.yaml')
    expect(again.stderr).not.toMatch(/wrote|generated|registered|next:/)
    expect(snapshot(repo)).toEqual(before)
  })
})

describe('npm run demo', () => {
  it("prints each step's messages once", () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'demo.mjs')], {
      env: { ...newHome().env, FORCE_COLOR: '0' },
      timeout: 120_000,
    })
    const out = r.stdout.toString() + r.stderr.toString()
    expect(r.status, out).toBe(0)
    expect(out.match(/wrote \.gitseal\.yaml with you as admin/g)).toHaveLength(1)
    expect(out.match(/wrote the git-seal block in \.gitattributes/g)).toHaveLength(1)
    expect(out).toContain('demo complete')
  })
})
