// `worktree: ciphertext` secrets (issue 14): checkout keeps the stored ciphertext in every clone,
// key or not; plaintext written there is stored encrypted but refused by the guard and flagged
// by status and verify; diffs stay readable, merges merge plaintext, no fingerprints are kept.
// Real git in temp repositories, each scenario ending with a scan for the marker plaintext.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { decrypt, encrypt, parseIdentity, parseRecipient } from '../../src/age/index.js'
import { Repo, expectNoLeak, isAgeFile, newHome, newKey, tempDir, type Key } from '../helpers/repo.js'

const MARKER = 'CT-MARKER-9b3f'

/** A version-2 config: `secrets/**` kept as ciphertext in the work tree, `plain/**` decrypted as usual. */
function ctConfig(key: Key, worktree: 'plaintext' | 'ciphertext' = 'ciphertext'): string {
  return [
    'version: 2',
    'groups:',
    '  hosts:',
    '    recipients:',
    '      admins:',
    '        - name: alice',
    `          key: ${key.recipient}`,
    '    secrets:',
    '      nix:',
    '        path: "secrets/**"',
    `        worktree: ${worktree}`,
    '      other:',
    '        path: "plain/**"',
    '',
  ].join('\n')
}

const sh = (repo: Repo, script: string) => repo.run('sh', ['-c', script])
const opens = (key: Key, bytes: Uint8Array): string =>
  Buffer.from(decrypt(bytes, [parseIdentity(key.identity)])).toString()
const sealTo = (key: Key, text: string): Uint8Array => encrypt(Buffer.from(text), [parseRecipient(key.recipient)])
const isSops = (bytes: Buffer): boolean =>
  bytes.toString().includes('ENC[AES256_GCM') && bytes.toString().includes('sops:')

/**
 * A repository whose secrets were committed while decrypted, then switched to ciphertext work
 * trees (the way an existing repository adopts the mode), and a clone of it made after.
 */
function ctRepo(options: { cloneKey?: boolean } = {}): { origin: Repo; clone: Repo; key: Key } {
  const key = newKey()
  const home = newHome()
  home.installKey(key)
  const origin = Repo.init(home)
  origin.write('.gitseal.yaml', ctConfig(key, 'plaintext'))
  expect(origin.seal('sync').status).toBe(0)
  expect(origin.seal('install').status).toBe(0)
  origin.write('secrets/host.yaml', `db_password: ${MARKER}-yaml\n`)
  origin.write('secrets/token.txt', `token=${MARKER}-age\n`)
  origin.write('plain/app.txt', `app=${MARKER}-plain\n`)
  origin.git('add', '-A')
  origin.git('commit', '-qm', 'secrets, decrypted in the work tree')
  origin.write('.gitseal.yaml', ctConfig(key))
  expect(origin.seal('sync').status).toBe(0)
  origin.git('add', '.gitseal.yaml', '.gitattributes')
  origin.git('commit', '-qm', 'secrets/ kept as ciphertext in work trees')
  return { origin, clone: cloneOf(origin, options.cloneKey === false ? null : key), key }
}

function cloneOf(repo: Repo, key: Key | null, install = true): Repo {
  const home = newHome()
  if (key) home.installKey(key)
  const dir = join(tempDir(), 'clone')
  expect(spawnSync('git', ['clone', '-q', repo.dir, dir], { env: home.env }).status).toBe(0)
  const clone = new Repo(dir, home)
  if (install) {
    const r = clone.seal('install')
    expect(r.status, r.stderr).toBe(0)
  }
  return clone
}

describe('configuration', () => {
  it('the attributes block gives ciphertext paths their own filter driver, registered by install and removed by uninstall', () => {
    const { clone } = ctRepo()
    const attributes = clone.read('.gitattributes').toString()
    expect(attributes).toContain(
      'secrets/** filter=git-seal-ct diff=git-seal merge=git-seal -text -ident !working-tree-encoding',
    )
    expect(attributes).toContain('plain/** filter=git-seal diff=git-seal merge=git-seal')
    expect(clone.git('config', 'filter.git-seal-ct.required').trim()).toBe('true')
    expect(clone.git('config', 'filter.git-seal-ct.process')).toContain('filter-process --worktree=ciphertext')
    expect(clone.seal('status').stdout).toContain('worktree: ciphertext')
    clone.git('config', '--unset', 'filter.git-seal-ct.required')
    expect(clone.seal('status').stdout).toContain('filter.git-seal-ct.required')
    expect(clone.seal('install').status).toBe(0)
    expect(clone.seal('uninstall').status).toBe(0)
    expect(clone.tryGit('config', '--get-regexp', '^filter\\.git-seal').stdout).toBe('')
    expect(isSops(clone.read('secrets/host.yaml'))).toBe(true)
    expectNoLeak(clone, MARKER)
  })

  it('a version 1 config using worktree is refused, and so is git add under it', () => {
    const { clone, key } = ctRepo()
    clone.write('.gitseal.yaml', ctConfig(key).replace('version: 2', 'version: 1'))
    clone.write('plain/new.txt', 'x\n')
    const add = clone.tryGit('add', 'plain/new.txt')
    expect(add.status).not.toBe(0)
    expect(add.stderr).toContain("'worktree' needs 'version: 2'")
  })

  it('a config from a later schema names what to do', () => {
    const { clone, key } = ctRepo()
    clone.write('.gitseal.yaml', ctConfig(key).replace('version: 2', 'version: 3'))
    const status = clone.seal('status')
    expect(status.status).not.toBe(0)
    expect(status.stderr).toContain('version 3 needs a newer git-seal')
    expect(status.stderr).toContain("'npx git-seal install'")
  })
})

describe('checkout', () => {
  it('keeps the stored ciphertext with a key, decrypts the other secrets, and git status stays clean', () => {
    const { clone, key } = ctRepo()
    expect(isSops(clone.read('secrets/host.yaml'))).toBe(true)
    expect(clone.read('secrets/host.yaml').equals(clone.blob('HEAD:secrets/host.yaml'))).toBe(true)
    expect(clone.read('secrets/token.txt').equals(clone.blob('HEAD:secrets/token.txt'))).toBe(true)
    expect(opens(key, clone.read('secrets/token.txt'))).toBe(`token=${MARKER}-age\n`)
    expect(clone.read('plain/app.txt').toString()).toBe(`app=${MARKER}-plain\n`)
    expect(clone.status()).toBe('')
    // a fresh checkout, a touch, and unlock change nothing of it
    sh(clone, 'rm secrets/token.txt && git checkout -- secrets/token.txt && touch secrets/host.yaml')
    expect(isAgeFile(clone.read('secrets/token.txt'))).toBe(true)
    expect(clone.status()).toBe('')
    const unlock = clone.seal('unlock')
    expect(unlock.status, unlock.stderr).toBe(0)
    expect(unlock.stderr).not.toContain('secrets/')
    expect(isAgeFile(clone.read('secrets/token.txt'))).toBe(true)
    expect(clone.seal('status').status).toBe(0)
    expect(clone.seal('verify').status).toBe(0)
    expectNoLeak(clone, MARKER)
  })

  it('the one-shot smudge and clean (git without the process filter) keep ciphertext too', () => {
    const { clone } = ctRepo()
    // Without a process command git runs the one-shot clean and smudge of each driver.
    clone.git('config', '--unset', 'filter.git-seal-ct.process')
    clone.git('config', '--unset', 'filter.git-seal.process')
    sh(clone, 'rm secrets/token.txt plain/app.txt')
    clone.git('checkout', '--', 'secrets/token.txt', 'plain/app.txt')
    expect(isAgeFile(clone.read('secrets/token.txt'))).toBe(true)
    expect(clone.read('plain/app.txt').toString()).toBe(`app=${MARKER}-plain\n`)
    clone.write('secrets/token.txt', `token=${MARKER}-one-shot\n`)
    const add = clone.tryGit('add', 'secrets/token.txt')
    expect(add.status, add.stderr).toBe(0)
    expect(isAgeFile(clone.blob(':secrets/token.txt'))).toBe(true)
    expect(clone.seal('guard').status).toBe(1)
    expectNoLeak(clone, MARKER)
  })

  it('git archive holds ciphertext for those paths even with a key', () => {
    const { clone } = ctRepo()
    const archive = spawnSync('git', ['archive', 'HEAD'], { cwd: clone.dir, env: clone.env }).stdout
    expect(archive.includes(`${MARKER}-plain`)).toBe(true) // the control: plaintext paths are decrypted
    expect(archive.includes(`${MARKER}-yaml`)).toBe(false)
    expect(archive.includes(`${MARKER}-age`)).toBe(false)
  })

  it('a clone whose git-seal predates the mode (no git-seal-ct driver) leaves them unfiltered: ciphertext', () => {
    const { origin, key } = ctRepo()
    const clone = cloneOf(origin, key)
    clone.git('config', '--remove-section', 'filter.git-seal-ct')
    sh(clone, 'rm -r secrets && git checkout -- secrets')
    expect(isAgeFile(clone.read('secrets/token.txt'))).toBe(true)
    expect(isSops(clone.read('secrets/host.yaml'))).toBe(true)
  })

  it('a stale attributes block (filter=git-seal) still checks out ciphertext, and status names it', () => {
    const { clone } = ctRepo()
    clone.write('secrets/.gitattributes', '* filter=git-seal\n')
    sh(clone, 'rm secrets/token.txt && git checkout -- secrets/token.txt')
    expect(isAgeFile(clone.read('secrets/token.txt'))).toBe(true)
    const status = clone.seal('status')
    expect(status.stdout).toContain("configured 'worktree: ciphertext' but marked filter=git-seal")
  })
})

describe('switching an existing repository to ciphertext work trees', () => {
  it('status names the files still decrypted; lock then unlock puts ciphertext back in them only', () => {
    const { origin } = ctRepo()
    // origin checked its secrets out decrypted before the switch
    expect(origin.read('secrets/token.txt').toString()).toContain(MARKER)
    const status = origin.seal('status')
    expect(status.status).toBe(1)
    expect(status.stdout).toMatch(/secrets\/token\.txt.*\n.*its work tree holds plaintext/)
    expect(status.stdout).toMatch(/secrets\/host\.yaml.*\n.*its work tree holds plaintext/)
    expect(origin.seal('verify').status).toBe(1)
    expect(origin.seal('lock').status).toBe(0)
    const unlock = origin.seal('unlock')
    expect(unlock.status, unlock.stderr).toBe(0)
    expect(isAgeFile(origin.read('secrets/token.txt'))).toBe(true)
    expect(isSops(origin.read('secrets/host.yaml'))).toBe(true)
    expect(origin.read('plain/app.txt').toString()).toBe(`app=${MARKER}-plain\n`)
    expect(origin.status()).toBe('')
    expect(origin.seal('status').status).toBe(0)
    expect(origin.seal('verify').status).toBe(0)
    expectNoLeak(origin, MARKER)
  })
})

describe('plaintext written into a ciphertext work tree', () => {
  for (const keyed of [true, false]) {
    it(`${keyed ? 'with' : 'without'} a key: stored encrypted, git status works, the guard refuses it, status and verify flag it`, () => {
      const { clone } = ctRepo({ cloneKey: keyed })
      clone.write('secrets/token.txt', `token=${MARKER}-new\n`)
      expect(clone.tryGit('status', '--porcelain').status).toBe(0)
      const add = clone.tryGit('add', 'secrets/token.txt')
      expect(add.status, add.stderr).toBe(0)
      expect(add.stderr).toContain('secrets/token.txt: holds plaintext, but its work tree is to hold ciphertext')
      expect(isAgeFile(clone.blob(':secrets/token.txt'))).toBe(true)
      const commit = clone.tryGit('commit', '-qm', 'by hand')
      expect(commit.status).not.toBe(0)
      expect(commit.stderr).toContain('secrets/token.txt was staged from plaintext written into its work tree')
      expect(commit.stderr).toContain("'git-seal edit secrets/token.txt'")
      const status = clone.seal('status')
      expect(status.status).toBe(1)
      expect(status.stdout).toContain('its work tree holds plaintext')
      const verify = clone.seal('verify')
      expect(verify.status).toBe(1)
      expect(verify.stderr).toContain('secrets/token.txt: its work tree holds plaintext')
      // the hint works: the committed ciphertext comes back, and everything is clean again
      clone.git('checkout', 'HEAD', '--', 'secrets/token.txt')
      expect(isAgeFile(clone.read('secrets/token.txt'))).toBe(true)
      expect(clone.status()).toBe('')
      expect(clone.seal('guard').status).toBe(0)
      expect(clone.seal('status').status).toBe(0)
      expect(clone.seal('verify').status).toBe(0)
      expectNoLeak(clone, MARKER)
    })
  }

  it('a large file (streamed through the cipher) is refused the same way', () => {
    const { clone, key } = ctRepo()
    const big = `${MARKER}\n` + 'x'.repeat(5 << 20)
    clone.write('secrets/big.bin', big)
    const add = clone.tryGit('add', 'secrets/big.bin')
    expect(add.status, add.stderr).toBe(0)
    expect(add.stderr).toContain('secrets/big.bin: holds plaintext, but its work tree is to hold ciphertext')
    expect(opens(key, clone.blob(':secrets/big.bin')) === big).toBe(true)
    const commit = clone.tryGit('commit', '-qm', 'big')
    expect(commit.status).not.toBe(0)
    expect(commit.stderr).toContain('secrets/big.bin was staged from plaintext written into its work tree')
    expectNoLeak(clone, MARKER)
  })

  it('conflict markers and text sops cannot parse do not make clean fail; commit -a is refused', () => {
    const { clone } = ctRepo()
    clone.write(
      'secrets/host.yaml',
      `<<<<<<< ours\ndb_password: ${MARKER}-a\n=======\ndb_password: ${MARKER}-b\n>>>>>>> theirs\n`,
    )
    clone.write('secrets/token.txt', `<<<<<<< ours\n${MARKER}\n>>>>>>> theirs\n`)
    clone.write('secrets/broken.yaml', `key: [${MARKER}\n`)
    expect(clone.tryGit('status').status).toBe(0)
    const commit = clone.tryGit('commit', '-aqm', 'by hand')
    expect(commit.status).not.toBe(0)
    expect(commit.stderr).toContain('secrets/host.yaml was staged from plaintext')
    expect(commit.stderr).toContain('secrets/token.txt was staged from plaintext')
    clone.git('add', 'secrets/broken.yaml')
    expect(
      isSops(clone.blob(':secrets/broken.yaml')) || clone.blob(':secrets/broken.yaml').toString().includes('"sops"'),
    ).toBe(true)
    expect(clone.seal('guard').status).toBe(1)
    expectNoLeak(clone, MARKER)
  })

  it('ciphertext written by another tool (age -e) is re-encrypted to the rule and committed', () => {
    const { clone, key } = ctRepo()
    clone.write('secrets/token.txt', sealTo(key, `token=${MARKER}-v2\n`))
    const diff = clone.git('diff')
    expect(diff).toContain(`-token=${MARKER}-age`)
    expect(diff).toContain(`+token=${MARKER}-v2`)
    clone.git('add', 'secrets/token.txt')
    expect(clone.tryGit('commit', '-qm', 'rotate').status).toBe(0)
    expect(opens(key, clone.blob('HEAD:secrets/token.txt'))).toBe(`token=${MARKER}-v2\n`)
    expect(clone.git('log', '-p', '-1')).toContain(`+token=${MARKER}-v2`)
    expect(isAgeFile(clone.read('secrets/token.txt'))).toBe(true)
    expect(clone.status()).toBe('')
    expectNoLeak(clone, MARKER)
  })
})

describe('no plaintext fingerprints for ciphertext work trees', () => {
  it('checkout, adds, rekey: nothing fingerprinted for those blobs', () => {
    const { clone, key } = ctRepo()
    clone.write('secrets/token.txt', sealTo(key, 'token=v2\n'))
    clone.git('add', 'secrets/token.txt')
    clone.git('commit', '-qm', 'v2')
    clone.write('secrets/token.txt', 'token=by hand\n')
    clone.git('add', 'secrets/token.txt')
    clone.git('checkout', 'HEAD', '--', 'secrets/token.txt')
    expect(clone.seal('rekey', '--force').status).toBe(0)
    const ctBlobs = clone
      .git('log', '--all', '--format=', '--raw', '--no-abbrev', '--', 'secrets/')
      .split('\n')
      .flatMap((l) => l.split(' ').slice(2, 4))
      .filter((o) => /^[0-9a-f]{40}$/.test(o))
    ctBlobs.push(clone.blobId(':secrets/token.txt'), clone.blobId(':secrets/host.yaml'))
    const file = join(clone.dir, '.git', 'git-seal', 'fingerprints')
    const fingerprinted = existsSync(file) ? readFileSync(file, 'utf8') : ''
    expect(fingerprinted).not.toBe('') // the control: plain/app.txt was fingerprinted on checkout
    for (const oid of ctBlobs) expect(fingerprinted).not.toContain(oid)
    expectNoLeak(clone, MARKER)
  })
})

describe('merges', () => {
  const base = Array.from({ length: 8 }, (_, i) => `line ${i}`).join('\n') + '\n'

  function branches(edit: (text: string, side: 'ours' | 'theirs') => string): {
    clone: Repo
    key: Key
    merge: ReturnType<Repo['tryGit']>
  } {
    const { clone, key } = ctRepo()
    clone.write('secrets/token.txt', sealTo(key, base))
    clone.git('add', 'secrets/token.txt')
    clone.git('commit', '-qm', 'base')
    clone.git('checkout', '-qb', 'feature')
    clone.write('secrets/token.txt', sealTo(key, edit(base, 'theirs')))
    clone.git('commit', '-qam', 'feature')
    clone.git('checkout', '-q', 'main')
    clone.write('secrets/token.txt', sealTo(key, edit(base, 'ours')))
    clone.git('commit', '-qam', 'main')
    return { clone, key, merge: clone.tryGit('merge', '-q', '--no-edit', 'feature') }
  }

  it('a clean merge merges the plaintext and leaves ciphertext in the work tree', () => {
    const { clone, key, merge } = branches((text, side) =>
      side === 'ours' ? text.replace('line 1\n', 'line 1 ours\n') : text.replace('line 6\n', 'line 6 theirs\n'),
    )
    expect(merge.status, merge.stderr).toBe(0)
    expect(isAgeFile(clone.read('secrets/token.txt'))).toBe(true)
    const merged = opens(key, clone.blob('HEAD:secrets/token.txt'))
    expect(merged).toContain('line 1 ours')
    expect(merged).toContain('line 6 theirs')
    expect(clone.status()).toBe('')
  })

  it('a conflict stays encrypted in the work tree with its markers; the guard refuses it unresolved', () => {
    const { clone, key, merge } = branches((text, side) => text.replace('line 3\n', `line 3 ${side} ${MARKER}\n`))
    expect(merge.status).not.toBe(0)
    const work = clone.read('secrets/token.txt')
    expect(isAgeFile(work)).toBe(true)
    expect(work.includes(MARKER)).toBe(false)
    const conflicted = opens(key, work)
    expect(conflicted).toMatch(/^<{8} ours$/m)
    expect(conflicted).toContain(`line 3 theirs ${MARKER}`)
    clone.git('add', 'secrets/token.txt')
    const commit = clone.tryGit('commit', '-qm', 'merge', '--no-edit')
    expect(commit.status).not.toBe(0)
    expect(commit.stderr).toContain('secrets/token.txt still holds unresolved conflict markers')
    expect(commit.stderr).toContain("'git-seal edit secrets/token.txt'")
    // the conflict again (the merge driver runs again), resolved by taking a side before git add
    clone.git('checkout', '-m', '--', 'secrets/token.txt')
    expect(isAgeFile(clone.read('secrets/token.txt'))).toBe(true)
    clone.git('checkout', '--theirs', '--', 'secrets/token.txt')
    clone.git('add', 'secrets/token.txt')
    const resolved = clone.tryGit('commit', '-qm', 'merge', '--no-edit')
    expect(resolved.status, resolved.stderr).toBe(0)
    expect(isAgeFile(clone.read('secrets/token.txt'))).toBe(true)
    expect(opens(key, clone.blob('HEAD:secrets/token.txt'))).toContain(`line 3 theirs ${MARKER}`)
    // the markers never reached the work tree, rerere or .git/ in plaintext
    expect(readFileSync(join(clone.dir, 'secrets/token.txt')).includes(MARKER)).toBe(false)
    expectNoLeak(clone, `line 3 ours ${MARKER}`)
  })
})
