// Private temp dirs: created 0700 with an owner record, and swept only once that owner is gone.
import { spawnSync } from 'node:child_process'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  createPrivateDir,
  currentOwner,
  ownerState,
  processStartTime,
  sweepPrivateDirs,
  userPrivateParent,
  writePrivateFile,
} from '../../src/seal/private-tmp.js'
import { tempDir } from '../helpers/repo.js'

const onLinux = existsSync('/proc/self/stat')

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', ''])
  return r.pid!
}

describe('private temp dirs', () => {
  it('are 0700, hold 0600 files, and go away on remove()', () => {
    const parent = tempDir()
    const dir = createPrivateDir(parent, 'merge')
    expect(statSync(dir.path).mode & 0o777).toBe(0o700)
    const file = writePrivateFile(dir, 'ours', Buffer.from('x'))
    expect(statSync(file).mode & 0o777).toBe(0o600)
    dir.remove()
    expect(readdirSync(parent)).toEqual([])
  })

  it('a sweep keeps the directory of a live owner (this process) and removes one whose owner is dead', () => {
    const parent = tempDir()
    const live = createPrivateDir(parent, 'merge')
    const stale = createPrivateDir(parent, 'merge', { ...currentOwner(), pid: deadPid() })
    const removed = sweepPrivateDirs(parent)
    expect(removed).toEqual([stale.path.slice(parent.length + 1)])
    expect(existsSync(live.path)).toBe(true)
    live.remove()
  })

  it.runIf(onLinux)('a reused pid (same pid, another start time) counts as gone', () => {
    const here = currentOwner()
    expect(here.start).toBe(processStartTime(process.pid))
    expect(ownerState(here)).toBe('alive')
    expect(ownerState({ ...here, start: String(Number(here.start) + 1) })).toBe('gone')
  })

  it('owners on another host are kept until they are a day old; a reboot ends every owner of the earlier boot', () => {
    const parent = tempDir()
    const foreign = createPrivateDir(parent, 'merge', { ...currentOwner(), host: 'another-host' })
    expect(sweepPrivateDirs(parent)).toEqual([])
    expect(sweepPrivateDirs(parent, Date.now() + 25 * 3600_000)).toHaveLength(1)
    expect(existsSync(foreign.path)).toBe(false)
    if (currentOwner().boot !== null) expect(ownerState({ ...currentOwner(), boot: 'an-earlier-boot' })).toBe('gone')
  })

  it('a directory without an owner record (being created, or from an older version) is left alone for ten minutes', () => {
    const parent = tempDir()
    mkdirSync(join(parent, 'merge-AbC123'))
    writeFileSync(join(parent, 'merge-AbC123', 'ours'), 'plaintext of an old version\n')
    mkdirSync(join(parent, 'private-merge-xyz'))
    mkdirSync(join(parent, 'unrelated'))
    expect(sweepPrivateDirs(parent)).toEqual([])
    const old = new Date(Date.now() - 11 * 60_000)
    for (const name of ['merge-AbC123', 'private-merge-xyz', 'unrelated']) utimesSync(join(parent, name), old, old)
    expect(sweepPrivateDirs(parent).sort()).toEqual(['merge-AbC123', 'private-merge-xyz'])
    expect(readdirSync(parent)).toEqual(['unrelated'])
  })
})

describe('the per-user parent outside any repository (git-seal edit)', () => {
  it('is $XDG_RUNTIME_DIR/git-seal, created 0700', () => {
    const runtime = tempDir()
    const parent = userPrivateParent({ XDG_RUNTIME_DIR: runtime })
    expect(parent).toBe(join(runtime, 'git-seal'))
    expect(statSync(parent).mode & 0o777).toBe(0o700)
    expect(userPrivateParent({ XDG_RUNTIME_DIR: runtime })).toBe(parent) // and reused
  })

  it('refuses one that is a link, or open to others (someone else may have made it first)', () => {
    const runtime = tempDir()
    symlinkSync(tempDir(), join(runtime, 'git-seal'))
    expect(() => userPrivateParent({ XDG_RUNTIME_DIR: runtime })).toThrow('is not a directory')
    const open = tempDir()
    mkdirSync(join(open, 'git-seal'))
    chmodSync(join(open, 'git-seal'), 0o755)
    expect(() => userPrivateParent({ XDG_RUNTIME_DIR: open })).toThrow('is open to other users')
  })
})
