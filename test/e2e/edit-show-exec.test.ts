// The sops-style commands end to end: git-seal edit (scripted editors), show, exec.
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BUNDLE, type Repo, expectNoLeak, isAgeFile, sealedRepo, tempDir } from '../helpers/repo.js'

const MARKER = 'plaintext-marker-5b1e'

/** A shell script at a fresh path, executable. */
function script(body: string): string {
  const file = join(tempDir('git-seal-editor-'), 'editor.sh')
  writeFileSync(file, `#!/bin/sh\n${body}\n`)
  chmodSync(file, 0o755)
  return file
}

/**
 * A scripted editor: runs `edit` (sh, the file is "$1"), after logging the file's path, its mode
 * and its directory's mode to `log`.
 */
function scriptedEditor(edit: string): { editor: string; log: string } {
  const log = join(tempDir('git-seal-editor-log-'), 'log')
  const editor = script(
    `printf '%s\\n%s\\n%s\\n' "$1" "$(stat -c %a "$1")" "$(stat -c %a "$(dirname "$(dirname "$1")")")" > '${log}'\n${edit}`,
  )
  return { editor, log }
}

/** Where private temp dirs go in these tests: a runtime dir of the test's own. */
function withRuntimeDir(repo: Repo): string {
  const runtime = tempDir('git-seal-runtime-')
  repo.env = { ...repo.env, XDG_RUNTIME_DIR: runtime }
  return runtime
}

function edit(repo: Repo, editor: string, path: string, extraEnv: NodeJS.ProcessEnv = {}): ReturnType<Repo['seal']> {
  return repo.run(process.execPath, [BUNDLE, 'edit', path], { env: { ...repo.env, GIT_EDITOR: editor, ...extraEnv } })
}

function commit(repo: Repo, path: string, content: string | Uint8Array): void {
  repo.write(path, content)
  repo.git('add', path)
  repo.git('commit', '-qm', `commit ${path}`)
}

const YAML = `db:\n  user: app\n  password: ${MARKER}\nport: 5432\ntoken: keep-me\n`

describe('git-seal edit', () => {
  it('opens the plaintext in a 0600 file in a 0700 dir outside the repository, writes plaintext back unstaged, and unchanged values keep their ciphertext', () => {
    const { repo } = sealedRepo(['secrets/**'])
    const runtime = withRuntimeDir(repo)
    commit(repo, 'secrets/app.yaml', YAML)
    const before = repo.blob('HEAD:secrets/app.yaml').toString()
    const { editor, log } = scriptedEditor(`sed -i 's/port: 5432/port: 6543/' "$1"`)
    const r = edit(repo, editor, 'secrets/app.yaml')
    expect(r.status, r.stderr).toBe(0)
    const [file, fileMode, dirMode] = readFileSync(log, 'utf8').trim().split('\n')
    expect(file!.startsWith(join(runtime, 'git-seal') + '/')).toBe(true)
    expect(file!.startsWith(repo.dir)).toBe(false)
    expect(file!.endsWith('/app.yaml')).toBe(true) // named like the secret: the editor picks the syntax
    expect([fileMode, dirMode]).toEqual(['600', '700'])
    expect(existsSync(file!)).toBe(false)
    expect(readdirSync(join(runtime, 'git-seal'))).toEqual([])
    expect(repo.read('secrets/app.yaml').toString()).toBe(YAML.replace('5432', '6543'))
    // not staged, as sops edit does not stage
    expect(repo.git('diff', '--cached', '--name-only')).toBe('')
    expect(repo.status()).toBe(' M secrets/app.yaml\n')
    repo.git('add', 'secrets/app.yaml')
    const after = repo.blob(':secrets/app.yaml').toString()
    const changed = after.split('\n').filter((l) => !before.split('\n').includes(l))
    expect(changed.filter((l) => !/^\s*(port|mac|lastmodified):/.test(l))).toEqual([])
    expect(changed.some((l) => l.startsWith('port:'))).toBe(true)
    expectNoLeak(repo, MARKER)
  })

  it('in a locked clone writes the ciphertext back (recorded, so git add stores those bytes); unchanged content keeps its bytes', () => {
    const { repo } = sealedRepo(['secrets/**'])
    withRuntimeDir(repo)
    commit(repo, 'secrets/app.yaml', YAML)
    commit(repo, 'secrets/key.txt', `${MARKER} one\n`)
    expect(repo.seal('lock').status).toBe(0)
    const lockedYaml = repo.read('secrets/app.yaml')
    const lockedAge = repo.read('secrets/key.txt')
    // an editor that changes nothing: not one byte is rewritten
    let r = edit(repo, 'true', 'secrets/key.txt')
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toContain('unchanged')
    expect(repo.read('secrets/key.txt').equals(lockedAge)).toBe(true)
    r = edit(repo, script(`printf '${MARKER} two\\n' > "$1"`), 'secrets/key.txt')
    expect(r.status, r.stderr).toBe(0)
    const written = repo.read('secrets/key.txt')
    expect(isAgeFile(written)).toBe(true)
    expect(written.equals(lockedAge)).toBe(false)
    expect(repo.seal('show', 'secrets/key.txt').stdout).toBe(`${MARKER} two\n`)
    r = edit(repo, script(`sed -i 's/token: keep-me/token: changed/' "$1"`), 'secrets/app.yaml')
    expect(r.status, r.stderr).toBe(0)
    const yaml = repo.read('secrets/app.yaml').toString()
    // SOPS: the work tree holds the document; every value but the edited one keeps its ciphertext
    for (const line of lockedYaml
      .toString()
      .split('\n')
      .filter((l) => /^\s*(user|password|port):/.test(l)))
      expect(yaml).toContain(line)
    expect(yaml).not.toContain(
      lockedYaml
        .toString()
        .split('\n')
        .find((l) => l.startsWith('token:')),
    )
    repo.git('add', 'secrets')
    expect(repo.blob(':secrets/key.txt').equals(written)).toBe(true)
    expect(repo.blob(':secrets/app.yaml').toString()).toBe(yaml)
    expect(repo.seal('guard').status).toBe(0)
    expect(repo.seal('show', '--rev', ':0', 'secrets/app.yaml').stdout).toBe(YAML.replace('keep-me', 'changed'))
    expectNoLeak(repo, MARKER)
  })

  it('a worktree: ciphertext secret gets ciphertext back, even over plaintext written there by hand', () => {
    const { repo } = sealedRepo(['secrets/**'])
    withRuntimeDir(repo)
    const config =
      readFileSync(join(repo.dir, '.gitseal.yaml'), 'utf8').replace('version: 1', 'version: 2') +
      '        worktree: ciphertext\n'
    repo.write('.gitseal.yaml', config)
    expect(repo.seal('sync').status).toBe(0)
    repo.write('secrets/app.env', `A=${MARKER}\n`) // plaintext, by hand
    const r = edit(repo, script(`printf 'A=${MARKER}\\nB=2\\n' > "$1"`), 'secrets/app.env')
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toContain('the work tree holds its SOPS ciphertext')
    const written = repo.read('secrets/app.env').toString()
    expect(written).toContain('A=ENC[AES256_GCM,')
    expect(written).not.toContain(MARKER)
    expect(repo.seal('show', 'secrets/app.env').stdout).toBe(`A=${MARKER}\nB=2\n`)
    repo.git('add', '-A')
    expect(repo.blob(':secrets/app.env').toString()).toBe(written)
    expectNoLeak(repo, MARKER)
  })

  it('creates a new secret at a path a rule covers; refuses a path no rule covers; a new file left empty is not created', () => {
    const { repo, key } = sealedRepo(['secrets/**'])
    withRuntimeDir(repo)
    let r = edit(repo, script(`printf 'A=${MARKER}\\n' > "$1"`), 'secrets/new/app.env')
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toContain('created')
    expect(repo.read('secrets/new/app.env').toString()).toBe(`A=${MARKER}\n`)
    expect(statSync(join(repo.dir, 'secrets/new/app.env')).mode & 0o777).toBe(0o600)
    repo.git('add', 'secrets')
    expect(repo.blob(':secrets/new/app.env').toString()).toContain(key.recipient)
    r = edit(repo, script(`printf 'x\\n' > "$1"`), 'notes/plain.txt')
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('notes/plain.txt: no secret in .gitseal.yaml covers this path')
    expect(existsSync(join(repo.dir, 'notes'))).toBe(false)
    r = edit(repo, 'true', 'secrets/empty.txt')
    expect(r.status, r.stderr).toBe(0)
    expect(existsSync(join(repo.dir, 'secrets/empty.txt'))).toBe(false)
    // a locked clone creates it as ciphertext, and needs no key to do so
    expect(repo.seal('lock').status).toBe(0)
    r = edit(repo, script(`printf '${MARKER}\\n' > "$1"`), 'secrets/locked.txt', {
      HOME: tempDir(),
      XDG_CONFIG_HOME: tempDir(),
    })
    expect(r.status, r.stderr).toBe(0)
    expect(isAgeFile(repo.read('secrets/locked.txt'))).toBe(true)
    expectNoLeak(repo, MARKER)
  })

  it('writes nothing when the editor fails or the result does not encrypt, and removes the temporary file', () => {
    const { repo } = sealedRepo(['secrets/**'])
    const runtime = withRuntimeDir(repo)
    commit(repo, 'secrets/app.yaml', YAML)
    let r = edit(repo, script(`sed -i 's/5432/1/' "$1"; exit 3`), 'secrets/app.yaml')
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('exited with status 3; nothing was written')
    expect(repo.read('secrets/app.yaml').toString()).toBe(YAML)
    r = edit(repo, script(`printf 'a: [unclosed\\n' > "$1"`), 'secrets/app.yaml')
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('does not encrypt as a SOPS yaml file')
    expect(r.stderr).toContain('nothing was written')
    expect(repo.read('secrets/app.yaml').toString()).toBe(YAML)
    r = edit(
      repo,
      script(`printf 'a\\n<<<<<<< ours\\nb\\n=======\\nc\\n>>>>>>> theirs\\n' > "$1"`),
      'secrets/notes.txt',
    )
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('still holds conflict markers')
    expect(existsSync(join(repo.dir, 'secrets/notes.txt'))).toBe(false)
    expect(readdirSync(join(runtime, 'git-seal'))).toEqual([])
    expect(repo.status()).toBe('')
    expectNoLeak(repo, MARKER)
  })

  it('uses the editor git would: GIT_EDITOR, then core.editor, then VISUAL, then EDITOR', () => {
    const { repo } = sealedRepo(['secrets/**'])
    withRuntimeDir(repo)
    commit(repo, 'secrets/a.txt', 'start\n')
    const by = (name: string): string => script(`printf '${name}\\n' > "$1"`)
    const run = (env: NodeJS.ProcessEnv): string => {
      const { GIT_EDITOR: _g, VISUAL: _v, EDITOR: _e, ...rest } = repo.env
      const r = repo.run(process.execPath, [BUNDLE, 'edit', 'secrets/a.txt'], { env: { ...rest, ...env } })
      expect(r.status, r.stderr).toBe(0)
      return repo.read('secrets/a.txt').toString().trim()
    }
    repo.git('config', 'core.editor', by('core.editor'))
    expect(run({ GIT_EDITOR: by('GIT_EDITOR'), VISUAL: by('VISUAL'), EDITOR: by('EDITOR') })).toBe('GIT_EDITOR')
    expect(run({ VISUAL: by('VISUAL'), EDITOR: by('EDITOR') })).toBe('core.editor')
    repo.git('config', '--unset', 'core.editor')
    expect(run({ VISUAL: by('VISUAL'), EDITOR: by('EDITOR'), TERM: 'xterm' })).toBe('VISUAL')
    expect(run({ EDITOR: by('EDITOR'), TERM: 'xterm' })).toBe('EDITOR')
  })

  it('without XDG_RUNTIME_DIR uses a 0700 git-seal-UID dir under TMPDIR, and refuses one that is open to others', () => {
    const { repo } = sealedRepo(['secrets/**'])
    const tmp = tempDir('git-seal-tmpdir-')
    const { XDG_RUNTIME_DIR: _x, ...rest } = repo.env
    repo.env = { ...rest, TMPDIR: tmp }
    commit(repo, 'secrets/a.txt', `${MARKER}\n`)
    const { editor, log } = scriptedEditor(`printf 'b\\n' > "$1"`)
    let r = edit(repo, editor, 'secrets/a.txt')
    expect(r.status, r.stderr).toBe(0)
    const parent = join(tmp, `git-seal-${process.getuid!()}`)
    expect(readFileSync(log, 'utf8').startsWith(parent + '/')).toBe(true)
    expect(statSync(parent).mode & 0o777).toBe(0o700)
    chmodSync(parent, 0o755)
    r = edit(repo, editor, 'secrets/a.txt')
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('is open to other users')
    expect(repo.read('secrets/a.txt').toString()).toBe('b\n')
  })

  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s while the editor is open removes the temporary file and writes nothing',
    async (signal) => {
      const { repo } = sealedRepo(['secrets/**'])
      const runtime = withRuntimeDir(repo)
      commit(repo, 'secrets/a.txt', `${MARKER}\n`)
      const ready = join(tempDir(), 'ready')
      const editor = script(
        `printf 'changed\\n' > "$1"; echo $$ > '${ready}.tmp'; mv '${ready}.tmp' '${ready}'; sleep 30`,
      )
      const child = spawn(process.execPath, [BUNDLE, 'edit', 'secrets/a.txt'], {
        cwd: repo.dir,
        env: { ...repo.env, GIT_EDITOR: editor },
        stdio: 'ignore',
      })
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)))
      for (let i = 0; i < 200 && !existsSync(ready); i++) await new Promise((r) => setTimeout(r, 50))
      expect(readdirSync(join(runtime, 'git-seal'))).toHaveLength(1) // the plaintext is on disk right now
      child.kill(signal)
      expect(await exited).toBe(signal)
      process.kill(Number(readFileSync(ready, 'utf8')), 'SIGKILL') // the editor itself, left running
      expect(readdirSync(join(runtime, 'git-seal'))).toEqual([])
      expect(repo.read('secrets/a.txt').toString()).toBe(`${MARKER}\n`)
    },
  )
})

describe('git-seal edit after a SIGKILL', () => {
  it('leaves the temporary directory (nothing can catch SIGKILL), and the next edit sweeps it once its owner is gone', async () => {
    const { repo } = sealedRepo(['secrets/**'])
    const runtime = withRuntimeDir(repo)
    commit(repo, 'secrets/a.txt', `${MARKER}\n`)
    const ready = join(tempDir(), 'ready')
    const editor = script(`echo $$ > '${ready}.tmp'; mv '${ready}.tmp' '${ready}'; sleep 30`)
    const child = spawn(process.execPath, [BUNDLE, 'edit', 'secrets/a.txt'], {
      cwd: repo.dir,
      env: { ...repo.env, GIT_EDITOR: editor },
      stdio: 'ignore',
    })
    const exited = new Promise((resolve) => child.on('exit', resolve))
    for (let i = 0; i < 200 && !existsSync(ready); i++) await new Promise((r) => setTimeout(r, 50))
    child.kill('SIGKILL')
    await exited
    process.kill(Number(readFileSync(ready, 'utf8')), 'SIGKILL')
    expect(readdirSync(join(runtime, 'git-seal'))).toHaveLength(1)
    const r = edit(repo, 'true', 'secrets/a.txt')
    expect(r.status, r.stderr).toBe(0)
    expect(readdirSync(join(runtime, 'git-seal'))).toEqual([])
  })
})

describe('git-seal show', () => {
  it('prints the work tree plaintext (decrypting a locked one) byte for byte, and other versions with --rev', () => {
    const { repo } = sealedRepo(['secrets/**'])
    const binary = Buffer.from([0, 1, 2, 255, 10, 13, 10])
    commit(repo, 'secrets/bin.dat', binary)
    commit(repo, 'secrets/app.yaml', YAML)
    commit(repo, 'secrets/app.yaml', YAML.replace('keep-me', 'second'))
    const showBytes = (...args: string[]): Buffer =>
      spawnSync(process.execPath, [BUNDLE, 'show', ...args], { cwd: join(repo.dir, 'secrets'), env: repo.env }).stdout
    expect(showBytes('bin.dat').equals(binary)).toBe(true) // a path relative to the current directory
    expect(repo.seal('show', 'secrets/app.yaml').stdout).toBe(YAML.replace('keep-me', 'second'))
    expect(repo.seal('show', '--rev', 'HEAD~1', 'secrets/app.yaml').stdout).toBe(YAML)
    expect(repo.seal('lock').status).toBe(0)
    expect(isAgeFile(repo.read('secrets/bin.dat'))).toBe(true)
    expect(showBytes('bin.dat').equals(binary)).toBe(true)
    expect(repo.seal('show', 'secrets/app.yaml').stdout).toBe(YAML.replace('keep-me', 'second'))
    let r = repo.seal('show', '--rev', 'no-such-branch', 'secrets/app.yaml')
    expect([r.status, r.stderr]).toEqual([1, expect.stringContaining('unknown revision no-such-branch')])
    r = repo.seal('show', '--rev', 'HEAD~2', 'secrets/app.yaml')
    expect([r.status, r.stderr]).toEqual([1, expect.stringContaining('secrets/app.yaml is not a file in HEAD~2')])
    r = repo.seal('show', '../outside.txt')
    expect([r.status, r.stderr]).toEqual([1, expect.stringContaining('not a file inside this repository')])
    expectNoLeak(repo, MARKER)
  })

  it('without a key says so, naming the file, and prints nothing', () => {
    const { repo } = sealedRepo(['secrets/**'])
    commit(repo, 'secrets/a.txt', `${MARKER}\n`)
    const r = repo.run(process.execPath, [BUNDLE, 'show', '--rev', 'HEAD', 'secrets/a.txt'], {
      env: { ...repo.env, HOME: tempDir(), XDG_CONFIG_HOME: tempDir() },
    })
    expect(r.status).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain('secrets/a.txt: none of your age identities can decrypt its version in HEAD')
  })
})

describe('git-seal exec', () => {
  const ENV = `API_KEY=${MARKER}\nSHARED=from-env\n# a comment\nURL=https://x.example/?a=b\n`
  const JSON_DOC = `{"SHARED": "from-json", "PORT": 8080, "DEBUG": true, "nested": {"a": 1}, "list": [1, 2]}\n`

  it('passes dotenv keys and JSON/YAML top-level scalars to the command, later files winning, skipping (and naming) nested ones', () => {
    const { repo } = sealedRepo(['secrets/**'])
    commit(repo, 'secrets/app.env', ENV)
    commit(repo, 'secrets/app.json', JSON_DOC)
    commit(repo, 'secrets/app.yaml', YAML)
    const r = repo.seal(
      'exec',
      'secrets/app.env',
      'secrets/app.json',
      'secrets/app.yaml',
      '--',
      'sh',
      '-c',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: ${nested-unset} is sh parameter expansion, not a template
      'printf "%s|%s|%s|%s|%s|%s|%s|%s\\n" "$API_KEY" "$SHARED" "$URL" "$PORT" "$port" "$DEBUG" "$token" "${nested-unset}"',
    )
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toBe(`${MARKER}|from-json|https://x.example/?a=b|8080|5432|true|keep-me|unset\n`)
    expect(r.stderr).toContain('secrets/app.json: not passed to the command, being a map or a list: nested, list')
    expect(r.stderr).toContain('secrets/app.yaml: not passed to the command, being a map or a list: db')
  })

  it("returns the command's exit status; 127 for a command that does not exist; refuses files that are not dotenv/YAML/JSON", () => {
    const { repo } = sealedRepo(['secrets/**'])
    commit(repo, 'secrets/app.env', ENV)
    commit(repo, 'secrets/key.txt', 'k\n')
    expect(repo.seal('exec', 'secrets/app.env', '--', 'sh', '-c', 'exit 7').status).toBe(7)
    const missing = repo.seal('exec', 'secrets/app.env', '--', 'no-such-command-xyz')
    expect([missing.status, missing.stderr]).toEqual([
      127,
      expect.stringContaining('no-such-command-xyz: command not found'),
    ])
    const txt = repo.seal('exec', 'secrets/key.txt', '--', 'true')
    expect([txt.status, txt.stderr]).toEqual([
      1,
      expect.stringContaining('exec reads dotenv (.env), YAML and JSON files'),
    ])
    expect(repo.seal('exec', 'secrets/app.env').status).toBe(2) // no '--': a usage error
  })

  it('writes nothing to disk: in a locked clone the marker is found nowhere but in the command output', () => {
    const { repo } = sealedRepo(['secrets/**'])
    commit(repo, 'secrets/app.env', ENV)
    expect(repo.seal('lock').status).toBe(0)
    const tmp = tempDir('git-seal-tmpdir-')
    const r = repo.run(process.execPath, [BUNDLE, 'exec', 'secrets/app.env', '--', 'sh', '-c', 'echo "$API_KEY"'], {
      env: { ...repo.env, TMPDIR: tmp },
    })
    expect(r.stdout).toBe(`${MARKER}\n`)
    const found: string[] = []
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, entry.name)
        if (entry.isDirectory()) walk(p)
        else if (entry.isFile() && readFileSync(p).includes(MARKER)) found.push(p)
      }
    }
    walk(repo.dir)
    walk(tmp)
    expect(found).toEqual([])
    expectNoLeak(repo, MARKER)
  })

  it('passes SIGTERM on to the command and exits as it did; ends by the same signal when the command dies of it', async () => {
    const { repo } = sealedRepo(['secrets/**'])
    commit(repo, 'secrets/app.env', ENV)
    const run = async (
      body: (ready: string) => string,
    ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> => {
      const ready = join(tempDir(), 'ready')
      const child = spawn(process.execPath, [BUNDLE, 'exec', 'secrets/app.env', '--', 'sh', '-c', body(ready)], {
        cwd: repo.dir,
        env: repo.env,
        stdio: 'ignore',
      })
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.on('exit', (code, signal) => resolve({ code, signal })),
      )
      for (let i = 0; i < 200 && !existsSync(ready); i++) await new Promise((r) => setTimeout(r, 50))
      child.kill('SIGTERM')
      return exited
    }
    // the command traps TERM and exits 42: git-seal passed it on and returns 42
    const trapped = await run((ready) => `trap 'exit 42' TERM; touch '${ready}'; while :; do sleep 0.1; done`)
    expect(trapped).toEqual({ code: 42, signal: null })
    const killed = await run((ready) => `touch '${ready}'; exec sleep 30`)
    expect(killed).toEqual({ code: null, signal: 'SIGTERM' })
  })
})
