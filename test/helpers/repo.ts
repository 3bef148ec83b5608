/**
 * Real git in temp repositories, isolated from the machine: own HOME (so no global identity
 * or key), no system config, no SOPS_AGE_* from the caller. git-seal runs as the built bundle,
 * the way git runs it.
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll } from 'vitest'
import { generateIdentity, identityToRecipient } from '../../src/age/index.js'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const BUNDLE = join(ROOT, 'dist', 'git-seal.mjs')

function newestMtime(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs)
  }
  return newest
}

/** Builds dist/git-seal.mjs when it is missing or older than src/ (npm test builds it first). */
export function ensureBundle(): void {
  if (existsSync(BUNDLE) && statSync(BUNDLE).mtimeMs >= newestMtime(join(ROOT, 'src'))) return
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { stdio: 'inherit' })
}

const cleanups: string[] = []
afterAll(() => {
  for (const dir of cleanups.splice(0)) rmSync(dir, { recursive: true, force: true })
})

export function tempDir(prefix = 'git-seal-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  cleanups.push(dir)
  return dir
}

export interface Key {
  identity: string
  recipient: string
}

export function newKey(): Key {
  const identity = generateIdentity()
  return { identity, recipient: identityToRecipient(identity) }
}

export interface Home {
  dir: string
  env: NodeJS.ProcessEnv
  /** writes the key to sops's default key file in this HOME */
  installKey(key: Key): string
}

export function newHome(): Home {
  const dir = tempDir('git-seal-home-')
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('SOPS_') || k.startsWith('GIT_') || k === 'XDG_CONFIG_HOME') continue
    env[k] = v
  }
  Object.assign(env, {
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, '.config'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Test Author',
    GIT_AUTHOR_EMAIL: 'author@example.com',
    GIT_COMMITTER_NAME: 'Test Author',
    GIT_COMMITTER_EMAIL: 'author@example.com',
    LC_ALL: 'C',
  })
  writeFileSync(join(dir, '.gitconfig'), '[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n')
  return {
    dir,
    env,
    installKey(key: Key): string {
      const file = join(dir, '.config', 'sops', 'age', 'keys.txt')
      mkdirSync(dirname(file), { recursive: true })
      writeFileSync(file, `# test key\n${key.identity}\n`, { mode: 0o600 })
      chmodSync(file, 0o600)
      return file
    },
  }
}

export interface Result {
  status: number | null
  stdout: string
  stderr: string
}

function result(r: SpawnSyncReturns<Buffer>): Result {
  return { status: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') }
}

export class Repo {
  constructor(
    readonly dir: string,
    readonly home: Home,
    public env: NodeJS.ProcessEnv = home.env,
  ) {}

  static init(home: Home = newHome()): Repo {
    ensureBundle()
    const dir = tempDir('git-seal-repo-')
    const repo = new Repo(dir, home)
    repo.git('init', '-q')
    return repo
  }

  /** Runs git; throws with its stderr when it fails. */
  git(...args: string[]): string {
    const r = this.run('git', args)
    if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed (${r.status}):\n${r.stderr}`)
    return r.stdout
  }

  /** Runs git and returns status and output, failing or not. */
  tryGit(...args: string[]): Result {
    return this.run('git', args)
  }

  /** Runs the git-seal bundle. */
  seal(...args: string[]): Result {
    return this.run(process.execPath, [BUNDLE, ...args])
  }

  run(
    command: string,
    args: string[],
    options: { input?: string | Uint8Array; cwd?: string; env?: NodeJS.ProcessEnv } = {},
  ): Result {
    return result(
      spawnSync(command, args, {
        cwd: options.cwd ?? this.dir,
        env: options.env ?? this.env,
        input: options.input ?? '',
        maxBuffer: 1 << 30,
      }),
    )
  }

  write(path: string, content: string | Uint8Array): void {
    mkdirSync(dirname(join(this.dir, path)), { recursive: true })
    writeFileSync(join(this.dir, path), content)
  }

  read(path: string): Buffer {
    return readFileSync(join(this.dir, path))
  }

  /**
   * Stages bytes as they are, bypassing the filter: what a clone without git-seal (or a tool
   * writing the index directly) does.
   */
  stageRaw(path: string, content: string | Uint8Array): void {
    const oid = this.run('git', ['hash-object', '-w', '--no-filters', '--stdin'], { input: content }).stdout.trim()
    this.git('update-index', '--add', '--cacheinfo', `100644,${oid},${path}`)
  }

  /** The bytes git stores for `rev:path` (":path" for the index). */
  blob(spec: string): Buffer {
    const r = spawnSync('git', ['cat-file', 'blob', spec], { cwd: this.dir, env: this.env, maxBuffer: 1 << 30 })
    if (r.status !== 0) throw new Error(`no blob ${spec}: ${r.stderr.toString()}`)
    return r.stdout
  }

  blobId(spec: string): string {
    return this.git('rev-parse', spec).trim()
  }

  /** `git status --porcelain` output, '' when clean. */
  status(): string {
    return this.git('status', '--porcelain')
  }
}

/** A .gitseal.yaml with one group and one secret rule. */
export function simpleConfig(paths: string[], admins: { name: string; key: string }[], extra = ''): string {
  return (
    [
      'version: 1',
      'groups:',
      '  dev:',
      '    recipients:',
      '      admins:',
      ...admins.flatMap((a) => [`        - name: ${a.name}`, `          key: ${a.key}`]),
      '    secrets:',
      '      main:',
      '        path:',
      ...paths.map((p) => `          - ${JSON.stringify(p)}`),
      extra,
    ].join('\n') + '\n'
  )
}

/** A repo with git-seal set up for `paths`, one admin whose key is in HOME (unless withKey=false). */
export function sealedRepo(
  paths: string[] = ['secrets/**', '*.secret'],
  options: { withKey?: boolean } = {},
): { repo: Repo; key: Key } {
  const key = newKey()
  const home = newHome()
  if (options.withKey !== false) home.installKey(key)
  const repo = Repo.init(home)
  repo.write('.gitseal.yaml', simpleConfig(paths, [{ name: 'alice', key: key.recipient }]))
  const sync = repo.seal('sync')
  if (sync.status !== 0) throw new Error(`git-seal sync failed: ${sync.stderr}`)
  const install = repo.seal('install')
  if (install.status !== 0) throw new Error(`git-seal install failed: ${install.stderr}`)
  repo.git('add', '.gitseal.yaml', '.gitattributes')
  repo.git('commit', '-qm', 'git-seal config')
  return { repo, key }
}

export const AGE_MAGIC = 'age-encryption.org/v1\n'
export function isAgeFile(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, AGE_MAGIC.length)).toString('latin1') === AGE_MAGIC
}

/**
 * Where `marker` (a test's plaintext) lies in the repository: every object git can list (loose
 * or packed, reachable or not) and every file under the git dir (index, logs, rr-cache,
 * git-seal's state, temp files). Call after every end-to-end scenario; `[]` means no leak.
 */
export function plaintextLeaks(repo: Repo, marker: string): string[] {
  const found: string[] = []
  const objects = spawnSync('git', ['cat-file', '--batch-all-objects', '--batch'], {
    cwd: repo.dir,
    env: repo.env,
    maxBuffer: 1 << 30,
  }).stdout
  if (objects.includes(marker)) found.push('an object in the object database')
  const gitDir = spawnSync('git', ['rev-parse', '--git-common-dir'], { cwd: repo.dir, env: repo.env })
    .stdout.toString()
    .trim()
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name)
      if (entry.isDirectory()) walk(p)
      else if (entry.isFile() && readFileSync(p).includes(marker)) found.push(p)
    }
  }
  walk(resolve(repo.dir, gitDir))
  return found
}

/** Fails the test when {@link plaintextLeaks} finds the marker anywhere. */
export function expectNoLeak(repo: Repo, marker: string): void {
  const leaks = plaintextLeaks(repo, marker)
  if (leaks.length > 0) throw new Error(`plaintext marker ${JSON.stringify(marker)} found in: ${leaks.join(', ')}`)
}

/** Plaintext of `size` bytes: random, with `marker` at both ends (so a leak of either end shows). */
export function bigSecret(size: number, marker: string): Buffer {
  const body = randomBytes(size)
  body.write(marker, 0)
  body.write(marker, size - marker.length)
  return body
}

/** The spill directories (src/seal/spill.ts) in a state directory, by the prefix private-tmp.ts gives them. */
export function spillDirs(stateDir: string): string[] {
  return readdirSync(stateDir).filter((n) => n.startsWith('private-spill-'))
}
