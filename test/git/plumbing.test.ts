// Parsers of git plumbing output, fed canned `-z` output (captured from git 2.39), including
// paths with spaces, newlines, tabs, U+2028 and carriage returns.
import { describe, expect, it } from 'vitest'
import {
  parseCommitsWithTrees,
  parseIsShallow,
  parseLogRaw,
  parseLsFilesStage,
  parseLsTree,
  parseRawDiff,
} from '../../src/git/plumbing.js'

const A = '78981922613b2afb6025042ff6bd878ac1994e85'
const B = '422c2b7ab3b3c668038da977e4e93a5fc623169c'
const L = '2e65efe2a145dda7ee51d1741299f848e5bf752e'
const Z = '0'.repeat(40)
const C1 = '66e9d412b89bcec3f97e1fc8f8e08d4c84c5e7cb'
const C2 = 'd60aad5475e7c4c5fff5a8bffc36323a13d0e6d2'

describe('parseRawDiff (diff-index -z)', () => {
  const cases: [string, string, ReturnType<typeof parseRawDiff>][] = [
    [
      'one modification',
      `:100644 100644 ${A} ${B} M\x00a b.txt\x00`,
      [{ srcMode: '100644', dstMode: '100644', srcOid: A, dstOid: B, status: 'M', path: 'a b.txt' }],
    ],
    [
      'an addition and a symlink',
      `:000000 100644 ${Z} ${A} A\x00d/new\nline\x00:000000 120000 ${Z} ${L} A\x00d/link\x00`,
      [
        { srcMode: '000000', dstMode: '100644', srcOid: Z, dstOid: A, status: 'A', path: 'd/new\nline' },
        { srcMode: '000000', dstMode: '120000', srcOid: Z, dstOid: L, status: 'A', path: 'd/link' },
      ],
    ],
    [
      'a deletion',
      `:100644 000000 ${A} ${Z} D\x00gone\x00`,
      [{ srcMode: '100644', dstMode: '000000', srcOid: A, dstOid: Z, status: 'D', path: 'gone' }],
    ],
    [
      'a rename keeps the destination',
      `:100644 100644 ${A} ${A} R100\x00old\x00new\x00:100644 100644 ${A} ${B} M\x00x\x00`,
      [
        { srcMode: '100644', dstMode: '100644', srcOid: A, dstOid: A, status: 'R', path: 'new' },
        { srcMode: '100644', dstMode: '100644', srcOid: A, dstOid: B, status: 'M', path: 'x' },
      ],
    ],
    [
      'a path that looks like a record',
      `:100644 100644 ${A} ${B} M\x00:100644 looks\u2028odd\r\x00`,
      [{ srcMode: '100644', dstMode: '100644', srcOid: A, dstOid: B, status: 'M', path: ':100644 looks\u2028odd\r' }],
    ],
    ['nothing', '', []],
  ]
  for (const [name, out, expected] of cases) it(name, () => expect(parseRawDiff(out)).toEqual(expected))
})

describe('parseLsTree', () => {
  it('blobs, a gitlink, a tree, odd paths', () => {
    const out = `100644 blob ${B}\ta b.txt\x00100644 blob ${A}\td/new\nline\x00160000 commit ${C1}\tsub\x00040000 tree ${A}\td\x00120000 blob ${L}\tl\tink\x00`
    expect(parseLsTree(out)).toEqual([
      { mode: '100644', type: 'blob', oid: B, path: 'a b.txt' },
      { mode: '100644', type: 'blob', oid: A, path: 'd/new\nline' },
      { mode: '160000', type: 'commit', oid: C1, path: 'sub' },
      { mode: '040000', type: 'tree', oid: A, path: 'd' },
      { mode: '120000', type: 'blob', oid: L, path: 'l\tink' },
    ])
  })
  it('empty output', () => expect(parseLsTree('')).toEqual([]))
})

describe('parseLsFilesStage', () => {
  it('stages and odd paths', () => {
    const out = `100644 ${B} 0\ta b.txt\x00100644 ${A} 1\tc\r\x00100644 ${B} 2\tc\r\x00100644 ${A} 3\tc\r\x00100644 ${A} 0\td/new\nline\x00`
    expect(parseLsFilesStage(out)).toEqual([
      { mode: '100644', oid: B, stage: 0, path: 'a b.txt' },
      { mode: '100644', oid: A, stage: 1, path: 'c\r' },
      { mode: '100644', oid: B, stage: 2, path: 'c\r' },
      { mode: '100644', oid: A, stage: 3, path: 'c\r' },
      { mode: '100644', oid: A, stage: 0, path: 'd/new\nline' },
    ])
  })
})

describe('parseLogRaw (log -z --raw -m --format="commit %H")', () => {
  it('two commits as git prints them, a root commit with additions', () => {
    const out = `commit ${C1}\x00\n:100644 100644 ${A} ${B} M\x00a b.txt\x00commit ${C2}\x00\n:000000 100644 ${Z} ${A} A\x00a b.txt\x00:000000 120000 ${Z} ${L} A\x00d/link\x00`
    const commits = parseLogRaw(out)
    expect(commits.map((c) => c.commit)).toEqual([C1, C2])
    expect(commits[0]!.changes.map((c) => c.path)).toEqual(['a b.txt'])
    expect(commits[1]!.changes.map((c) => [c.status, c.dstMode, c.path])).toEqual([
      ['A', '100644', 'a b.txt'],
      ['A', '120000', 'd/link'],
    ])
  })
  it('a merge listed once per parent is joined; a commit without changes is kept; a path named "commit x" is a path', () => {
    const out = `commit ${C1}\x00\n:100644 100644 ${A} ${B} M\x00x\x00commit ${C1}\x00\n:100644 100644 ${B} ${A} M\x00commit ${C2}\x00commit ${C2}\x00`
    const commits = parseLogRaw(out)
    expect(commits.map((c) => c.commit)).toEqual([C1, C2])
    expect(commits[0]!.changes.map((c) => c.path)).toEqual(['x', `commit ${C2}`])
    expect(commits[1]!.changes).toEqual([])
  })
})

describe('parseCommitsWithTrees', () => {
  it('lines of "%H %T"', () => {
    expect(parseCommitsWithTrees(`${C1} ${A}\n${C2} ${B}\n`)).toEqual([
      { commit: C1, tree: A },
      { commit: C2, tree: B },
    ])
  })
})

// verify's plumbing: the commit graph, object names, refs, revision ranges.
import { parseCatFileBatchCheck, parseForEachRef, parseRevListParents, parseRevParse } from '../../src/git/plumbing.js'

describe('parseRevListParents (rev-list --parents)', () => {
  it('a merge, an ordinary commit, a root commit', () => {
    const out = `${C2} ${C1} ${A}\n${C1} ${B}\n${B}\n`
    expect(parseRevListParents(out)).toEqual([
      { commit: C2, parents: [C1, A] },
      { commit: C1, parents: [B] },
      { commit: B, parents: [] },
    ])
  })
  it('nothing selected', () => expect(parseRevListParents('')).toEqual([]))
})

describe('parseCatFileBatchCheck', () => {
  it('found and missing names, one line each, in order', () => {
    const out = `${A} blob 2\nHEAD:nope missing\n${B} tree 29\n${L} tag 103\nx missing\n${C1} commit 250\n`
    expect(parseCatFileBatchCheck(out, 6)).toEqual([
      { oid: A, type: 'blob', size: 2 },
      null,
      { oid: B, type: 'tree', size: 29 },
      { oid: L, type: 'tag', size: 103 },
      null,
      { oid: C1, type: 'commit', size: 250 },
    ])
  })
  it('an ambiguous name, and a name that looks like an answer, are no object', () => {
    const out = `abc ambiguous\n${A} blob 2 missing\n`
    expect(parseCatFileBatchCheck(out, 2)).toEqual([null, null])
  })
  it('a SHA-256 id', () => {
    const id = 'a'.repeat(64)
    expect(parseCatFileBatchCheck(`${id} blob 7\n`, 1)).toEqual([{ oid: id, type: 'blob', size: 7 }])
  })
})

describe('parseForEachRef (%(objectname)%00%(objecttype)%00%(refname)%00)', () => {
  it('branches, an annotated tag, lightweight tags at a tree and a blob', () => {
    const out = `${C1}\x00commit\x00refs/heads/main\x00\n${L}\x00tag\x00refs/tags/v1\x00\n${B}\x00tree\x00refs/tags/tree\x00\n${A}\x00blob\x00refs/tags/blob\x00\n`
    expect(parseForEachRef(out)).toEqual([
      { oid: C1, type: 'commit', ref: 'refs/heads/main' },
      { oid: L, type: 'tag', ref: 'refs/tags/v1' },
      { oid: B, type: 'tree', ref: 'refs/tags/tree' },
      { oid: A, type: 'blob', ref: 'refs/tags/blob' },
    ])
  })
  it('no refs', () => expect(parseForEachRef('')).toEqual([]))
})

describe('parseRevParse', () => {
  it('A..B, A...B, and what is no id', () => {
    expect(parseRevParse(`${C2}\n^${C1}\n`)).toEqual({ positive: [C2], negative: [C1], other: [] })
    expect(parseRevParse(`${C2}\n${C1}\n^${A}\n`)).toEqual({ positive: [C2, C1], negative: [A], other: [] })
    expect(parseRevParse('README\n--all\n')).toEqual({ positive: [], negative: [], other: ['README', '--all'] })
  })
})

describe('parseIsShallow (rev-parse --is-shallow-repository)', () => {
  it.each([
    ['true\n', true],
    ['false\n', false],
    ['', false],
  ])('%j is %s', (out, shallow) => {
    expect(parseIsShallow(out)).toBe(shallow)
  })
})

import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  blobText,
  configValue,
  formatIndexInfo,
  headCommit,
  lsFilesStage,
  updateIndexInfo,
} from '../../src/git/plumbing.js'

describe('formatIndexInfo (update-index -z --index-info)', () => {
  it('writes mode SP oid TAB path NUL per record, paths byte for byte', () => {
    const oid = 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391'
    expect(
      formatIndexInfo([
        { mode: '100644', oid, path: 'a b\tc\nd' },
        { mode: '100755', oid, path: 'x' },
      ]),
    ).toBe(`100644 ${oid}\ta b\tc\nd\x00100755 ${oid}\tx\x00`)
    expect(formatIndexInfo([])).toBe('')
  })

  it('git takes it: the entries point at the blobs given, odd paths included; blobText, headCommit, configValue read them back', () => {
    const root = mkdtempSync(join(tmpdir(), 'git-seal-plumbing-'))
    const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: root }
    execFileSync('git', ['init', '-q'], { cwd: root, env })
    writeFileSync(join(root, 'f'), 'hello\n')
    const oid = execFileSync('git', ['hash-object', '-w', 'f'], { cwd: root, env }).toString().trim()
    expect(headCommit(root)).toBeNull()
    updateIndexInfo(root, [
      { mode: '100644', oid, path: 'new\nline' },
      { mode: '100644', oid, path: 'plain' },
    ])
    expect(lsFilesStage(root).map((e) => [e.path, e.oid])).toEqual([
      ['new\nline', oid],
      ['plain', oid],
    ])
    expect(blobText(root, ':plain')).toBe('hello\n')
    expect(blobText(root, ':missing')).toBeNull()
    expect(configValue(root, 'seal.test')).toBeNull()
    execFileSync('git', ['config', 'seal.test', 'a value'], { cwd: root, env })
    expect(configValue(root, 'seal.test')).toBe('a value')
  })
})
