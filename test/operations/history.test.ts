// The shared history walker (src/operations/history.ts), on a real repository: commits with
// parents and trees, tree blobs, and each commit's own config, valid, invalid or missing, with
// every config blob read and parsed once however many commits carry it.
import { describe, expect, it } from 'vitest'
import { parseConfig, type SealConfig } from '../../src/config/index.js'
import { CatFileBatch, type GitObject } from '../../src/git/objects.js'
import { RepositoryHistory, type ObjectReader } from '../../src/operations/history.js'
import { Repo, newHome, newKey, simpleConfig, tempDir } from '../helpers/repo.js'

/** Reads through a CatFileBatch, counting reads by spec. */
class CountingReader implements ObjectReader {
  readonly reads = new Map<string, number>()
  private readonly inner: CatFileBatch
  constructor(dir: string) {
    this.inner = new CatFileBatch(dir)
  }
  get(spec: string): Promise<GitObject | null> {
    this.reads.set(spec, (this.reads.get(spec) ?? 0) + 1)
    return this.inner.get(spec)
  }
  close(): void {
    this.inner.close()
  }
}

/** The real parser, counting what it is given by text. */
function countingParser(): {
  parse: (text: string, source: string) => SealConfig
  parses: Map<string, number>
  total: () => number
} {
  const parses = new Map<string, number>()
  return {
    parses,
    parse: (text, source) => {
      parses.set(text, (parses.get(text) ?? 0) + 1)
      return parseConfig(text, source)
    },
    total: () => [...parses.values()].reduce((a, b) => a + b, 0),
  }
}

const INVALID = 'version: 1\ngroups: [unclosed\n'

/**
 * c1 no config; c2 config A; c3 an invalid one; c4 config B; c5 B unchanged; c6 A again; a side
 * branch from c2 whose config is a directory; a gitlink in c5's tree.
 */
function historyRepo(): { repo: Repo; commits: Record<string, string>; configA: string; configB: string } {
  const home = newHome()
  const repo = new Repo(tempDir('git-seal-history-'), home)
  repo.git('init', '-q')
  const key = newKey()
  const configA = simpleConfig(['secrets/**'], [{ name: 'alice', key: key.recipient }])
  const configB = simpleConfig(['secrets/**', '*.secret'], [{ name: 'alice', key: key.recipient }])
  const commits: Record<string, string> = {}
  const commit = (name: string): void => {
    repo.git('add', '-A')
    repo.git('commit', '-q', '--allow-empty', '-m', name)
    commits[name] = repo.git('rev-parse', 'HEAD').trim()
  }
  repo.write('README', 'hello\n')
  commit('c1')
  repo.write('.gitseal.yaml', configA)
  commit('c2')
  repo.write('.gitseal.yaml', INVALID)
  commit('c3')
  repo.write('.gitseal.yaml', configB)
  commit('c4')
  repo.write('README', 'hello again\n')
  repo.git('update-index', '--add', '--cacheinfo', `160000,${commits['c1']},vendor/lib`)
  commit('c5')
  repo.write('.gitseal.yaml', configA)
  commit('c6')
  repo.git('switch', '-q', '-c', 'side', commits['c2']!)
  repo.git('rm', '-q', '.gitseal.yaml')
  repo.write('.gitseal.yaml/inner', 'not a config\n')
  commit('side')
  repo.git('switch', '-q', 'main')
  return { repo, commits, configA, configB }
}

describe('RepositoryHistory', () => {
  const { repo, commits, configA, configB } = historyRepo()
  const c = (name: string): string => commits[name]!

  it('lists the commits a range selects, newest first, with their parents', () => {
    const history = new RepositoryHistory(repo.dir, new CountingReader(repo.dir))
    try {
      const nodes = history.commits([c('c5'), `^${c('c2')}`])
      expect(nodes.map((n) => n.commit)).toEqual([c('c5'), c('c4'), c('c3')])
      expect(nodes[0]!.parents).toEqual([c('c4')])
      expect(history.parentsOf(c('c3'))).toEqual([c('c2')])
      // c2 is excluded from the range: its parents are not known yet
      expect(history.parentsOf(c('c2'))).toBeUndefined()
      expect(
        history
          .commits(['--all'])
          .map((n) => n.commit)
          .sort(),
      ).toEqual(Object.values(commits).sort())
      expect(history.parentsOf(c('c1'))).toEqual([])
    } finally {
      history.close()
    }
  })

  it('lists commits with their trees in the order asked, and each tree once', () => {
    const history = new RepositoryHistory(repo.dir, new CountingReader(repo.dir))
    try {
      const walked = history.commitsWithTrees(['main', '--reverse'])
      expect(walked.map((w) => w.commit)).toEqual(['c1', 'c2', 'c3', 'c4', 'c5', 'c6'].map(c))
      expect(walked.map((w) => w.tree)).toEqual(
        ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'].map((n) => repo.git('rev-parse', `${c(n)}^{tree}`).trim()),
      )
      const tree = walked[4]!.tree
      const blobs = history.treeBlobs(tree)
      // blobs only: the gitlink vendor/lib is not one
      expect(blobs.map((e) => e.path).sort()).toEqual(['.gitseal.yaml', 'README'])
      expect(blobs.find((e) => e.path === 'README')!.oid).toBe(repo.git('rev-parse', `${c('c5')}:README`).trim())
      // kept: asked again, the same listing, not a second ls-tree
      expect(history.treeBlobs(tree)).toBe(blobs)
      expect(history.treeBlobs('no-such-tree')).toEqual([])
    } finally {
      history.close()
    }
  })

  it("looks up each commit's own config: missing, invalid (with the reason), valid, a directory", async () => {
    const reader = new CountingReader(repo.dir)
    const parser = countingParser()
    const history = new RepositoryHistory(repo.dir, reader, { parseConfig: parser.parse })
    try {
      const all = Object.values(commits)
      await history.loadOwnConfigs(all)
      for (const commit of all) expect(history.knowsOwnConfig(commit)).toBe(true)
      expect(history.ownConfig(c('c1'))).toBeNull()
      const a = history.ownConfig(c('c2'))
      expect(a?.kind).toBe('valid')
      expect(a?.oid).toBe(repo.git('rev-parse', `${c('c2')}:.gitseal.yaml`).trim())
      expect(a?.kind === 'valid' && a.config.secrets.map((s) => s.patterns)).toEqual([['secrets/**']])
      const invalid = history.ownConfig(c('c3'))
      expect(invalid?.kind).toBe('invalid')
      expect(invalid?.kind === 'invalid' && invalid.reason).toMatch(/^\.gitseal\.yaml:/)
      const b = history.ownConfig(c('c4'))
      expect(b?.kind === 'valid' && b.config.secrets.map((s) => s.patterns)).toEqual([['secrets/**', '*.secret']])
      expect(history.ownConfig(c('c5'))).toEqual(b)
      expect(history.ownConfig(c('c6'))).toEqual(a)
      expect(history.ownConfig(c('side'))).toMatchObject({ kind: 'invalid', reason: 'a tree, not a file' })

      // Three distinct blobs over seven commits: each read and parsed once.
      expect(parser.parses.get(configA)).toBe(1)
      expect(parser.parses.get(configB)).toBe(1)
      expect(parser.parses.get(INVALID)).toBe(1)
      expect(parser.total()).toBe(3)
      expect([...reader.reads.values()]).toEqual([1, 1, 1])

      // Asked again, by commit or by revision: nothing more read or parsed.
      await history.loadOwnConfigs(all)
      expect(await history.configAt('HEAD')).toEqual(a)
      expect(await history.configAt(c('c1'))).toBeNull()
      expect(parser.total()).toBe(3)
      expect([...reader.reads.values()]).toEqual([1, 1, 1])
    } finally {
      history.close()
    }
  })

  it('a config blob asked for twice at once is read and parsed once', async () => {
    const reader = new CountingReader(repo.dir)
    const parser = countingParser()
    const history = new RepositoryHistory(repo.dir, reader, { parseConfig: parser.parse })
    try {
      const oid = repo.git('rev-parse', `${c('c4')}:.gitseal.yaml`).trim()
      const [first, second, third] = await Promise.all([
        history.configBlob(oid),
        history.configBlob(oid),
        history.configAt(c('c5')),
      ])
      expect(first).toBe(second)
      expect(third).toBe(first)
      expect(parser.total()).toBe(1)
      expect(reader.reads.get(oid)).toBe(1)
      const missing = '0'.repeat(40)
      expect(await history.configBlob(missing)).toEqual({
        kind: 'invalid',
        oid: missing,
        reason: 'its blob is missing',
      })
    } finally {
      history.close()
    }
  })

  it('lists what each commit adds or changes', () => {
    const history = new RepositoryHistory(repo.dir, new CountingReader(repo.dir))
    try {
      const changed = history.changes([c('c4'), `^${c('c2')}`], 'AM')
      expect(changed.map((x) => [x.commit, x.changes.map((ch) => ch.path)])).toEqual([
        [c('c4'), ['.gitseal.yaml']],
        [c('c3'), ['.gitseal.yaml']],
      ])
    } finally {
      history.close()
    }
  })
})
