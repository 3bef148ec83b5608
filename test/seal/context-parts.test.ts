// SealContext is the composition of narrow parts (issue 15): the keys, what was stored before,
// the work tree's config and the state directory. The old methods delegate to those parts.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { StateDirectory } from '../../src/git/state-dir.js'
import { SealContext } from '../../src/seal/context.js'
import { KeyRing } from '../../src/seal/keyring.js'
import { StoredBefore } from '../../src/seal/stored-before.js'
import { WorktreeConfig } from '../../src/seal/worktree-config.js'
import { simpleConfig } from '../helpers/repo.js'

function context(config: string | null): SealContext {
  const top = mkdtempSync(join(tmpdir(), 'git-seal-ctx-'))
  mkdirSync(join(top, '.git', 'git-seal'), { recursive: true })
  if (config !== null) writeFileSync(join(top, '.gitseal.yaml'), config)
  return new SealContext(
    { top, gitDir: join(top, '.git'), commonDir: join(top, '.git'), objectFormat: 'sha1' },
    top,
    { HOME: top },
    { prewrap: 'off' },
  )
}

const KEY = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p'
const CONFIG = simpleConfig(
  ['a.env'],
  [{ name: 'alice', key: KEY }],
  ['      ct:', '        worktree: ciphertext', '        path:', '          - "b.env"'].join('\n'),
).replace('version: 1', 'version: 2')

describe('SealContext parts', () => {
  it('builds the four parts, and the deprecated members are the parts’ own', () => {
    const ctx = context(CONFIG)
    try {
      expect(ctx.keys).toBeInstanceOf(KeyRing)
      expect(ctx.stored).toBeInstanceOf(StoredBefore)
      expect(ctx.worktreeConfig).toBeInstanceOf(WorktreeConfig)
      expect(ctx.state).toBeInstanceOf(StateDirectory)
      expect(ctx.state.path).toBe(join(ctx.root, '.git', 'git-seal'))
      expect(ctx.worktreeConfig.secretFor('a.env').name).toBe('main')
      expect(ctx.keys.identities()).toEqual([])
      // the parts are what SealContext is: no methods of its own that hand them out again
      for (const old of ['records', 'fingerprints', 'objects', 'headers', 'config', 'secretFor', 'identities'])
        expect(old in ctx).toBe(false)
    } finally {
      ctx.close()
    }
  })

  it('keeps ciphertext by rule or by driver; a missing config leaves it to the driver', () => {
    const ctx = context(CONFIG)
    expect(ctx.keepsCiphertext('a.env')).toBe(false)
    expect(ctx.keepsCiphertext('b.env')).toBe(true)
    ctx.ciphertextDriver = true
    expect(ctx.keepsCiphertext('a.env')).toBe(true)
    ctx.close()
    const none = context(null)
    expect(none.keepsCiphertext('a.env')).toBe(false)
    expect(() => none.worktreeConfig.get()).toThrow(/no \.gitseal\.yaml at the top of the work tree/)
    none.close()
  })

  it('is locked when the state directory holds the mark', () => {
    const ctx = context(CONFIG)
    writeFileSync(ctx.state.file('locked'), 'locked\n')
    expect(ctx.locked).toBe(true)
    ctx.close()
  })
})
