// Bounded work on hostile input beyond age headers: a sops document listing more age entries
// than an age header may hold stanzas is not tried (each costs a key exchange per identity),
// and a config cannot ask for more recipients than that.
import { rmSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { MAX_STANZAS } from '../../src/age/index.js'
import { parseConfig } from '../../src/config/index.js'
import { SealContext } from '../../src/seal/context.js'
import { cleanFile } from '../../src/seal/clean.js'
import { smudgeFile } from '../../src/seal/smudge.js'
import { Repo, newHome, newKey, simpleConfig } from '../helpers/repo.js'

async function* once(b: Uint8Array): AsyncGenerator<Uint8Array> {
  yield b
}

describe('sops documents with too many age entries', () => {
  it('smudge keeps one with more than MAX_STANZAS entries as stored, naming why, before any key exchange', async () => {
    const key = newKey()
    const home = newHome()
    home.installKey(key)
    const repo = Repo.init(home)
    repo.write('.gitseal.yaml', simpleConfig(['*.yaml'], [{ name: 'alice', key: key.recipient }]))
    const ctx = SealContext.open(repo.dir, home.env)
    try {
      const doc = Buffer.concat([...(await cleanFile(ctx, 'app.yaml', once(Buffer.from('api: value\n'))))]).toString()
      const entry = /^ {4}- enc: \|\n(?: {8}.*\n)+ {6}recipient: .*\n/m.exec(doc)![0]
      const hostile = doc.replace(entry, entry.repeat(MAX_STANZAS + 1))
      expect(hostile.match(/recipient: /g)).toHaveLength(MAX_STANZAS + 1)
      const out = Buffer.concat([...(await smudgeFile(ctx, 'app.yaml', once(Buffer.from(hostile))))]).toString()
      expect(out).toBe(hostile)
      expect(ctx.report.kept.map((k) => k.why).join('\n')).toContain(`more than the ${MAX_STANZAS} git-seal tries`)
      // the same document with its own entries only still decrypts
      expect(Buffer.concat([...(await smudgeFile(ctx, 'app.yaml', once(Buffer.from(doc))))]).toString()).toBe(
        'api: value\n',
      )
    } finally {
      ctx.close()
    }
  })

  it('a config asking for more recipients than a header may hold is refused at its line', () => {
    const admins = Array.from({ length: MAX_STANZAS + 1 }, (_, i) => ({ name: `r${i}`, key: newKey().recipient }))
    expect(() => parseConfig(simpleConfig(['*.txt'], admins))).toThrow(
      `more than the ${MAX_STANZAS} an age header may hold`,
    )
    expect(() => parseConfig(simpleConfig(['*.txt'], admins.slice(0, MAX_STANZAS)))).not.toThrow()
  })
})

describe('files git-seal reads at the top of the work tree are never read through a link', () => {
  it('.gitseal.yaml or .gitattributes linked to /dev/zero: status and sync answer at once with an error naming the file', () => {
    for (const file of ['.gitseal.yaml', '.gitattributes']) {
      const key = newKey()
      const home = newHome()
      home.installKey(key)
      const repo = Repo.init(home)
      repo.write('.gitseal.yaml', simpleConfig(['*.secret'], [{ name: 'alice', key: key.recipient }]))
      rmSync(join(repo.dir, file), { force: true })
      symlinkSync('/dev/zero', join(repo.dir, file))
      for (const command of ['status', 'sync']) {
        const started = Date.now()
        const r = repo.seal(command)
        expect(r.status, `${command} with ${file} linked`).not.toBe(0)
        expect(r.stderr).toContain(`${file}: is a symbolic link`)
        expect(Date.now() - started).toBeLessThan(20_000)
      }
    }
  })
})
