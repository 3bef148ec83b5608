// verify cannot be talked out of its policy: configs deleted or broken on a branch, pushes in two
// steps, commits other refs reach, tags at trees and blobs, root commits, replace refs, odd paths.
// Real git: a client repository and a bare server whose pre-receive hook runs the bundle.
import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  BUNDLE,
  Repo,
  expectNoLeak,
  newHome,
  newKey,
  sealedRepo,
  simpleConfig,
  tempDir,
  type Result,
} from '../helpers/repo.js'

const MARKER = 'verify-e2e-plaintext-marker'

/** Commits blobs as they are (a clone without git-seal, or --no-verify), without the work tree. */
function commitRaw(repo: Repo, files: Record<string, string>, message: string, remove: string[] = []): string {
  for (const [path, content] of Object.entries(files)) repo.stageRaw(path, content)
  for (const path of remove) repo.git('rm', '-q', '--cached', '--', path)
  repo.git('commit', '-q', '--no-verify', '--allow-empty', '-m', message)
  return repo.git('rev-parse', 'HEAD').trim()
}

/** Commits a secret through the filter: ciphertext. */
function commitSecret(repo: Repo, path: string, content: string): string {
  repo.write(path, content)
  repo.git('add', '--', path)
  repo.git('commit', '-qm', `add ${path}`)
  return repo.git('rev-parse', 'HEAD').trim()
}

/** A bare repository beside `repo`, with verify --pre-receive as its hook unless `hook` is false. */
function server(repo: Repo, hook = true): Repo {
  const bare = join(tempDir('git-seal-server-'), 'server.git')
  repo.git('init', '-q', '--bare', bare)
  const s = new Repo(bare, repo.home)
  if (hook) installHook(s)
  return s
}

function installHook(s: Repo): void {
  const hook = join(s.dir, 'hooks', 'pre-receive')
  writeFileSync(hook, `#!/bin/sh\nexec "${process.execPath}" "${BUNDLE}" verify --pre-receive\n`)
  chmodSync(hook, 0o755)
}

function push(repo: Repo, s: Repo, ...refspecs: string[]): Result {
  return repo.tryGit('push', '--porcelain', s.dir, ...refspecs)
}

function refOf(s: Repo, ref: string): string | null {
  const r = s.tryGit('rev-parse', '-q', '--verify', ref)
  return r.status === 0 ? r.stdout.trim() : null
}

/** `verify --pre-receive` in the server fed hook lines directly. */
function preReceive(s: Repo, lines: string[]): Result {
  return s.run(process.execPath, [BUNDLE, 'verify', '--pre-receive'], { input: lines.map((l) => l + '\n').join('') })
}

const short = (oid: string): string => oid.slice(0, 12)

describe('a branch that deletes or breaks the config', () => {
  it('the two-push bypass: a new branch dropping the config with plaintext is refused, and a fast-forward of main to it later is too', () => {
    const { repo } = sealedRepo()
    commitSecret(repo, 'secrets/ok.txt', 'fine\n')
    const s = server(repo)
    expect(push(repo, s, 'main').status).toBe(0)
    repo.git('switch', '-q', '-c', 'evil')
    const drop = commitRaw(repo, { 'x.secret': `${MARKER}\n` }, 'drop the config, add plaintext', ['.gitseal.yaml'])
    const first = push(repo, s, 'evil')
    expect(first.status).not.toBe(0)
    expect(first.stderr).toContain(`commit ${short(drop)}: .gitseal.yaml is missing while an ancestor's was valid`)
    expect(first.stderr).toContain(`commit ${short(drop)}: x.secret holds a secret in plaintext`)
    expect(first.stderr).toContain('push to refs/heads/evil rejected')
    expect(refOf(s, 'refs/heads/evil')).toBeNull()
    expectNoLeak(s, MARKER)

    // The branch got there anyway (say, before the hook was installed): main may not follow it.
    rmHook(s)
    expect(push(repo, s, 'evil').status).toBe(0)
    installHook(s)
    const second = push(repo, s, 'evil:main')
    expect(second.status).not.toBe(0)
    expect(second.stderr).toContain(`commit ${short(drop)}: x.secret holds a secret in plaintext`)
    expect(refOf(s, 'refs/heads/main')).not.toBe(drop)
  })

  it('deleting the config, then adding plaintext in a later commit: refused in every form', () => {
    const { repo } = sealedRepo()
    commitSecret(repo, 'secrets/ok.txt', 'fine\n')
    const s = server(repo)
    expect(push(repo, s, 'main').status).toBe(0)
    const base = repo.git('rev-parse', 'HEAD').trim()
    const drop = commitRaw(repo, {}, 'drop the config', ['.gitseal.yaml'])
    const leak = commitRaw(repo, { 'secrets/db.txt': `${MARKER}\n` }, 'add plaintext')
    const pushed = push(repo, s, 'main')
    expect(pushed.status).not.toBe(0)
    expect(pushed.stderr).toContain(`commit ${short(drop)}: .gitseal.yaml is missing while an ancestor's was valid`)
    expect(pushed.stderr).toContain(`commit ${short(leak)}: .gitseal.yaml is missing while an ancestor's was valid`)
    expect(pushed.stderr).toContain(`commit ${short(leak)}: secrets/db.txt holds a secret in plaintext`)
    expect(refOf(s, 'refs/heads/main')).toBe(base)
    expectNoLeak(s, MARKER)

    const range = repo.seal('verify', `${base}..HEAD`)
    expect(range.status).toBe(1)
    expect(range.stderr).toContain(`commit ${short(leak)}: secrets/db.txt holds a secret in plaintext`)
    const all = repo.seal('verify', '--all')
    expect(all.status).toBe(1)
    expect(all.stderr).toContain(`commit ${short(drop)}: .gitseal.yaml is missing`)
    const head = repo.seal('verify')
    expect(head.status).toBe(1)
    expect(head.stderr).toContain('HEAD: secrets/db.txt holds a secret in plaintext')
    expect(head.stderr).toContain(`commit ${short(leak)}: .gitseal.yaml is missing`)
  })

  it('an invalid config (broken YAML) counts as its nearest valid ancestor, and is named', () => {
    const { repo } = sealedRepo()
    const s = server(repo)
    expect(push(repo, s, 'main').status).toBe(0)
    const broken = commitRaw(
      repo,
      { '.gitseal.yaml': 'version: 1\ngroups: [\n', 'prod.secret': `${MARKER}\n` },
      'break the config',
    )
    const pushed = push(repo, s, 'main')
    expect(pushed.status).not.toBe(0)
    expect(pushed.stderr).toMatch(
      new RegExp(`commit ${short(broken)}: \\.gitseal\\.yaml is invalid while an ancestor's was valid \\(.+\\)`),
    )
    expect(pushed.stderr).toContain(`commit ${short(broken)}: prod.secret holds a secret in plaintext`)
    expectNoLeak(s, MARKER)
    const head = repo.seal('verify')
    expect(head.status).toBe(1)
    expect(head.stderr).toContain('HEAD: prod.secret holds a secret in plaintext')
  })

  it('a valid config that drops the rule does not help against the old tip and the default branch', () => {
    const { repo, key } = sealedRepo()
    const s = server(repo)
    expect(push(repo, s, 'main').status).toBe(0)
    repo.git('switch', '-q', '-c', 'narrow')
    const narrowed = commitRaw(
      repo,
      {
        '.gitseal.yaml': simpleConfig(['secrets/**'], [{ name: 'alice', key: key.recipient }]),
        'app.secret': `${MARKER}\n`,
      },
      'narrow',
    )
    const pushed = push(repo, s, 'narrow')
    expect(pushed.status).not.toBe(0)
    expect(pushed.stderr).toContain(`commit ${short(narrowed)}: app.secret holds a secret in plaintext`)
    // a range judged against its base, whatever HEAD (the branch itself) says
    const range = repo.seal('verify', 'main..narrow')
    expect(range.status).toBe(1)
    expect(range.stderr).toContain(`commit ${short(narrowed)}: app.secret holds a secret in plaintext`)
    expectNoLeak(s, MARKER)
  })

  it("a merge without a config takes every parent's: the rule one side dropped still holds", () => {
    const { repo, key } = sealedRepo()
    const fork = repo.git('rev-parse', 'HEAD').trim()
    commitRaw(repo, { README: 'main moves on\n' }, 'main work')
    repo.git('switch', '-qf', '-c', 'side', fork)
    commitRaw(
      repo,
      { '.gitseal.yaml': simpleConfig(['secrets/**'], [{ name: 'alice', key: key.recipient }]) },
      'side narrows the config',
    )
    repo.git('switch', '-qf', '-c', 'merged')
    // first parent: side (secrets/** only); second parent: main (also *.secret)
    repo.git('merge', '-q', '--no-ff', '--no-commit', 'main')
    const merge = commitRaw(repo, { 'x.secret': `${MARKER}\n` }, 'merge, drop the config, add plaintext', [
      '.gitseal.yaml',
    ])
    repo.git('switch', '-qf', 'side')
    // judged against side's config (the range's base and HEAD): only main's side of the merge marks x.secret
    const r = repo.seal('verify', 'side..merged')
    expect(r.status).toBe(1)
    expect(r.stderr).toContain(`commit ${short(merge)}: .gitseal.yaml is missing while an ancestor's was valid`)
    expect(r.stderr).toContain(`commit ${short(merge)}: x.secret holds a secret in plaintext`)
  })

  it('a commit missing the config after an ancestor had it fails verify, named, even with no plaintext anywhere', () => {
    const { repo } = sealedRepo()
    const drop = commitRaw(repo, { README: 'hello\n' }, 'drop the config', ['.gitseal.yaml'])
    for (const args of [['--all'], ['HEAD~1..HEAD'], []]) {
      const r = repo.seal('verify', ...args)
      expect(r.status, args.join(' ')).toBe(1)
      expect(r.stderr).toContain(`commit ${short(drop)}: .gitseal.yaml is missing while an ancestor's was valid`)
    }
  })

  it('history from before git-seal was adopted stays valid, in every form and on push', () => {
    const repo = Repo.init(newHome())
    repo.write('README', 'before\n')
    repo.git('add', 'README')
    repo.git('commit', '-qm', 'pre-adoption 1')
    repo.write('notes.txt', 'more\n')
    repo.git('add', 'notes.txt')
    repo.git('commit', '-qm', 'pre-adoption 2')
    const preAdoption = repo.git('rev-parse', 'HEAD').trim()
    for (const args of [['--all'], [preAdoption], []])
      expect(repo.seal('verify', ...args).status, args.join(' ')).toBe(0)
    const s = server(repo)
    expect(push(repo, s, 'main').status).toBe(0)
    repo.write('.gitseal.yaml', simpleConfig(['secrets/**'], [{ name: 'alice', key: newKey().recipient }]))
    expect(repo.seal('sync').status).toBe(0)
    repo.git('add', '.gitseal.yaml', '.gitattributes')
    repo.git('commit', '-qm', 'adopt git-seal')
    expect(push(repo, s, 'main').status).toBe(0)
    for (const args of [['--all'], ['HEAD~2..HEAD'], []])
      expect(repo.seal('verify', ...args).status, args.join(' ')).toBe(0)
    // a branch from before adoption, pushed later, is still history from before adoption
    expect(push(repo, s, `${preAdoption}:refs/heads/old`).status).toBe(0)
  })
})

function rmHook(s: Repo): void {
  writeFileSync(join(s.dir, 'hooks', 'pre-receive'), '#!/bin/sh\nexit 0\n')
}

describe('--pre-receive judges every commit of old..new', () => {
  it('even commits another ref already reaches: a fast-forward of main to a branch the server accepted under another default', () => {
    const { repo, key } = sealedRepo()
    const s = server(repo)
    expect(push(repo, s, 'main').status).toBe(0)
    // The server's default branch is "dev", whose config marks only secrets/**.
    repo.git('switch', '-q', '-c', 'dev')
    commitRaw(
      repo,
      { '.gitseal.yaml': simpleConfig(['secrets/**'], [{ name: 'alice', key: key.recipient }]) },
      'dev config',
    )
    expect(push(repo, s, 'dev').status).toBe(0)
    s.git('symbolic-ref', 'HEAD', 'refs/heads/dev')
    // "evil" grows from main, narrows its own config, adds app.secret: nothing the default branch marks.
    repo.git('switch', '-qf', 'main')
    repo.git('switch', '-q', '-c', 'evil')
    const p = commitRaw(
      repo,
      {
        '.gitseal.yaml': simpleConfig(['secrets/**'], [{ name: 'alice', key: key.recipient }]),
        'app.secret': `${MARKER}\n`,
      },
      'narrow and add',
    )
    expect(push(repo, s, 'evil').status).toBe(0)
    // main's config marks *.secret: the fast-forward brings a plaintext secret onto main.
    const ff = push(repo, s, 'evil:main')
    expect(ff.status).not.toBe(0)
    expect(ff.stderr).toContain(`commit ${short(p)}: app.secret holds a secret in plaintext`)
    expect(ff.stderr).toContain('push to refs/heads/main rejected')
    // The same, fed to the hook directly.
    const oldMain = refOf(s, 'refs/heads/main')!
    const direct = preReceive(s, [`${oldMain} ${p} refs/heads/main`])
    expect(direct.status).toBe(1)
    expect(direct.stderr).toContain(`commit ${short(p)}: app.secret holds a secret in plaintext`)
  })

  it('a root commit is judged whatever log.showRoot says on the server, and an orphan branch without config is judged by the default branch', () => {
    const { repo } = sealedRepo()
    const s = server(repo)
    s.git('config', 'log.showRoot', 'false')
    expect(push(repo, s, 'main').status).toBe(0)
    const config = repo.read('.gitseal.yaml').toString()
    repo.git('switch', '-q', '--orphan', 'orphan-with-config')
    const root = commitRaw(repo, { '.gitseal.yaml': config, 'root.secret': `${MARKER}\n` }, 'root')
    const withConfig = push(repo, s, 'orphan-with-config')
    expect(withConfig.status).not.toBe(0)
    expect(withConfig.stderr).toContain(`commit ${short(root)}: root.secret holds a secret in plaintext`)
    repo.git('switch', '-q', '--orphan', 'orphan-bare')
    const bareRoot = commitRaw(repo, { 'secrets/key.txt': `${MARKER}\n` }, 'root without config')
    const without = push(repo, s, 'orphan-bare')
    expect(without.status).not.toBe(0)
    expect(without.stderr).toContain(`commit ${short(bareRoot)}: secrets/key.txt holds a secret in plaintext`)
    expectNoLeak(s, MARKER)
  })

  it('a pushed replace ref cannot make the walk read another commit', () => {
    const { repo } = sealedRepo()
    const s = server(repo)
    expect(push(repo, s, 'main').status).toBe(0)
    const base = repo.git('rev-parse', 'HEAD').trim()
    const harmless = commitRaw(repo, { README: 'nothing to see\n' }, 'harmless')
    repo.git('reset', '-q', '--hard', base)
    const leak = commitRaw(repo, { 'secrets/db.txt': `${MARKER}\n` }, 'leak')
    expect(push(repo, s, `${harmless}:refs/replace/${leak}`).status).toBe(0)
    const pushed = push(repo, s, 'main')
    expect(pushed.status).not.toBe(0)
    expect(pushed.stderr).toContain(`commit ${short(leak)}: secrets/db.txt holds a secret in plaintext`)
    expectNoLeak(s, MARKER)
  })

  it('a commit whose config newly covers a file already in plaintext is refused', () => {
    const { repo, key } = sealedRepo(['secrets/**'])
    commitRaw(repo, { 'cfg/db.txt': `${MARKER}\n` }, 'not a secret yet')
    const s = server(repo)
    expect(push(repo, s, 'main').status).toBe(0)
    const widen = commitRaw(
      repo,
      { '.gitseal.yaml': simpleConfig(['secrets/**', 'cfg/**'], [{ name: 'alice', key: key.recipient }]) },
      'cfg is secret now',
    )
    const pushed = push(repo, s, 'main')
    expect(pushed.status).not.toBe(0)
    expect(pushed.stderr).toContain(`commit ${short(widen)}: cfg/db.txt holds a secret in plaintext`)
    const range = repo.seal('verify', 'HEAD~1..HEAD')
    expect(range.status).toBe(1)
    expect(range.stderr).toContain(`commit ${short(widen)}: cfg/db.txt holds a secret in plaintext`)
  })

  it("git's textconv cache of git-seal diffs is refused", () => {
    const { repo } = sealedRepo()
    const s = server(repo)
    expect(push(repo, s, 'main').status).toBe(0)
    repo.git('notes', '--ref=textconv/git-seal', 'add', '-m', `${MARKER}\n`, 'HEAD')
    const pushed = push(repo, s, 'refs/notes/textconv/git-seal')
    expect(pushed.status).not.toBe(0)
    expect(pushed.stderr).toContain("refs/notes/textconv/git-seal is git's cache of decrypted diffs")
    expectNoLeak(s, MARKER)
    const all = repo.seal('verify', '--all')
    expect(all.status).toBe(1)
  })
})

describe('tags at trees and blobs', () => {
  function treeWith(repo: Repo, path: string, content: string): string {
    const blob = repo.run('git', ['hash-object', '-w', '--no-filters', '--stdin'], { input: content }).stdout.trim()
    const index = join(tempDir(), 'index')
    const env = { ...repo.env, GIT_INDEX_FILE: index }
    repo.run('git', ['read-tree', 'HEAD'], { env })
    repo.run('git', ['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], { env })
    return repo.run('git', ['write-tree'], { env }).stdout.trim()
  }

  it('lightweight and annotated tags at a tree holding a plaintext secret, or at a plaintext blob, are refused; at ciphertext they pass', () => {
    const { repo } = sealedRepo()
    commitSecret(repo, 'secrets/ok.txt', 'fine\n')
    const s = server(repo)
    expect(push(repo, s, 'main').status).toBe(0)
    const badTree = treeWith(repo, 'secrets/leak.txt', `${MARKER}\n`)
    const badBlob = repo
      .run('git', ['hash-object', '-w', '--no-filters', '--stdin'], { input: `${MARKER} blob\n` })
      .stdout.trim()
    const goodTree = repo.git('rev-parse', 'HEAD^{tree}').trim()
    const goodBlob = repo.git('rev-parse', 'HEAD:secrets/ok.txt').trim()
    repo.git('tag', 'light-tree', badTree)
    repo.git('tag', '-a', '-m', 'annotated', 'annotated-tree', badTree)
    repo.git('tag', 'light-blob', badBlob)
    repo.git('tag', '-a', '-m', 'annotated', 'annotated-blob', badBlob)
    repo.git('tag', 'good-tree', goodTree)
    repo.git('tag', '-a', '-m', 'annotated', 'good-blob', goodBlob)

    for (const tag of ['light-tree', 'annotated-tree']) {
      const r = push(repo, s, `refs/tags/${tag}`)
      expect(r.status, tag).not.toBe(0)
      expect(r.stderr).toContain(
        `refs/tags/${tag} (tree ${short(badTree)}): secrets/leak.txt holds a secret in plaintext`,
      )
    }
    for (const tag of ['light-blob', 'annotated-blob']) {
      const r = push(repo, s, `refs/tags/${tag}`)
      expect(r.status, tag).not.toBe(0)
      expect(r.stderr).toContain(`refs/tags/${tag} points at blob ${short(badBlob)}, which is no ciphertext`)
    }
    expectNoLeak(s, MARKER)
    for (const tag of ['good-tree', 'good-blob']) {
      const r = push(repo, s, `refs/tags/${tag}`)
      expect(r.status, `${tag}: ${r.stderr}`).toBe(0)
    }

    const all = repo.seal('verify', '--all')
    expect(all.status).toBe(1)
    expect(all.stderr).toContain(
      `refs/tags/light-tree (tree ${short(badTree)}): secrets/leak.txt holds a secret in plaintext`,
    )
    expect(all.stderr).toContain(`refs/tags/annotated-tree (tree ${short(badTree)}): secrets/leak.txt`)
    expect(all.stderr).toContain(`refs/tags/light-blob points at blob ${short(badBlob)}`)
    expect(all.stderr).toContain(`refs/tags/annotated-blob points at blob ${short(badBlob)}`)
    expect(all.stderr).not.toContain('good-')
  })
})

describe('paths holding line breaks', () => {
  it('\\n, \\r, U+2028 and U+2029 in secret paths: git filters them, verify judges them in every form', () => {
    const { repo } = sealedRepo()
    const s = server(repo)
    expect(push(repo, s, 'main').status).toBe(0)
    const paths = ['secrets/new\nline', 'secrets/\r', 'secrets/\u2028', 'secrets/x\u2029y', '\n.secret', 'd/\r.secret']
    // git itself applies filter=git-seal to each of them
    const attrs = repo
      .run('git', ['check-attr', '--stdin', '-z', 'filter'], { input: paths.join('\0') + '\0' })
      .stdout.split('\0')
    for (let i = 0; i < paths.length; i++) expect(attrs[i * 3 + 2], JSON.stringify(paths[i])).toBe('git-seal')
    const files = Object.fromEntries(paths.map((p, i) => [p, `${MARKER} ${i}\n`]))
    const leak = commitRaw(repo, files, 'odd paths')
    const pushed = push(repo, s, 'main')
    expect(pushed.status).not.toBe(0)
    for (const p of paths)
      expect(pushed.stderr).toContain(`commit ${short(leak)}: ${JSON.stringify(p)} holds a secret in plaintext`)
    expectNoLeak(s, MARKER)
    const all = repo.seal('verify', '--all')
    const head = repo.seal('verify')
    for (const p of paths) {
      expect(all.stderr).toContain(`${JSON.stringify(p)} holds a secret in plaintext`)
      expect(head.stderr).toContain(`HEAD: ${JSON.stringify(p)} holds a secret in plaintext`)
    }
  })
})
