// git var GIT_EDITOR and blobs of other revisions: the parser on canned output, the rest on real git.
import { describe, expect, it } from 'vitest'
import { blobAtRevision, parseGitVar } from '../../src/git/editor.js'
import { sealedRepo } from '../helpers/repo.js'

describe('parseGitVar', () => {
  it.each([
    ['vim\n', 'vim'],
    ['code --wait\n', 'code --wait'],
    ["'/path with space/ed' -x\r\n", "'/path with space/ed' -x"],
    ['nano', 'nano'],
    ['\n', ''],
  ])('%j', (out, value) => expect(parseGitVar(out)).toBe(value))
})

describe('blobAtRevision', () => {
  it('returns the stored bytes, or says whether the revision or the path is missing', () => {
    const { repo } = sealedRepo(['secrets/**'])
    repo.write('secrets/a.txt', 'one\n')
    repo.git('add', '.')
    repo.git('commit', '-qm', 'a')
    const found = blobAtRevision(repo.dir, 'HEAD', 'secrets/a.txt', repo.env)
    expect('blob' in found && found.blob.equals(repo.blob('HEAD:secrets/a.txt'))).toBe(true)
    expect(blobAtRevision(repo.dir, 'HEAD', 'secrets/none.txt', repo.env)).toEqual({ missing: 'path' })
    expect(blobAtRevision(repo.dir, 'nope', 'secrets/a.txt', repo.env)).toEqual({ missing: 'revision' })
    expect(() => blobAtRevision(repo.dir, '--output=x', 'secrets/a.txt', repo.env)).toThrow('not a revision')
  })
})
