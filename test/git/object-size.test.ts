import { describe, expect, it } from 'vitest'
import { objectSize, parseObjectSize } from '../../src/git/object-size.js'
import { Repo, newHome } from '../helpers/repo.js'

describe('git cat-file -s', () => {
  it.each([
    ['12345\n', 12345],
    ['0', 0],
    ['', null],
    ['12a\n', null],
    ['-1\n', null],
    ['99999999999999999999\n', null],
    [null, null],
  ] as const)('parses %j as %j', (out, size) => {
    expect(parseObjectSize(out)).toBe(size)
  })

  it('sizes a blob, and knows no size for a missing object or a name that is no id', () => {
    const repo = Repo.init(newHome())
    repo.write('a.txt', 'hello\n')
    repo.git('add', 'a.txt')
    const oid = repo.git('rev-parse', ':a.txt').trim()
    expect(objectSize(oid, { cwd: repo.dir, env: repo.env })).toBe(6)
    expect(objectSize('0'.repeat(40), { cwd: repo.dir, env: repo.env })).toBeNull()
    expect(objectSize('HEAD', { cwd: repo.dir, env: repo.env })).toBeNull()
  })
})
