// Random sequences of edit / add / commit / checkout / branch / merge over random secret
// contents. After every step: no object holds a plaintext marker, the work tree holds
// plaintext, and after a commit git status is clean.
import { spawnSync } from 'node:child_process'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isAgeFile, sealedRepo, type Repo } from '../helpers/repo.js'

type Step =
  | { kind: 'edit'; file: number; line: number; text: string }
  | { kind: 'add' }
  | { kind: 'commit' }
  | { kind: 'branch'; name: number }
  | { kind: 'checkout'; name: number }
  | { kind: 'merge'; name: number }

const MARKER = 'PLAINTEXT-'
const FILES = ['secrets/a.txt', 'secrets/b.env', 'secrets/deep/c.yaml']

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('edit' as const),
    file: fc.nat(FILES.length - 1),
    line: fc.nat(4),
    text: fc.stringMatching(/^[a-z0-9]{1,12}$/),
  }),
  fc.constant({ kind: 'add' as const }),
  fc.constant({ kind: 'commit' as const }),
  fc.record({ kind: fc.constant('branch' as const), name: fc.nat(2) }),
  fc.record({ kind: fc.constant('checkout' as const), name: fc.nat(2) }),
  fc.record({ kind: fc.constant('merge' as const), name: fc.nat(2) }),
)

function content(file: string, lines: string[]): string {
  // Every value carries the marker, so any plaintext object is found by a byte search.
  if (file.endsWith('.env')) return lines.map((l, i) => `K${i}=${MARKER}${l}\n`).join('')
  if (file.endsWith('.yaml')) return lines.map((l, i) => `k${i}: ${MARKER}${l}\n`).join('')
  return lines.map((l) => `${MARKER}${l}\n`).join('')
}

function apply(repo: Repo, s: Step, state: Map<string, string[]>): void {
  switch (s.kind) {
    case 'edit': {
      const file = FILES[s.file]!
      const lines = [...(state.get(file) ?? ['x', 'y', 'z', 'w', 'v'])]
      lines[s.line] = s.text
      state.set(file, lines)
      repo.write(file, content(file, lines))
      return
    }
    case 'add':
      repo.git('add', '-A')
      return
    case 'commit':
      repo.git('add', '-A')
      repo.tryGit('commit', '-qm', 'step')
      expect(repo.status()).toBe('')
      return
    case 'branch':
      repo.git('add', '-A')
      repo.tryGit('commit', '-qm', 'before branch')
      repo.tryGit('branch', `b${s.name}`)
      return
    case 'checkout': {
      repo.git('add', '-A')
      repo.tryGit('commit', '-qm', 'before checkout')
      if (repo.tryGit('checkout', '-q', `b${s.name}`).status === 0) state.clear()
      expect(repo.status()).toBe('')
      return
    }
    case 'merge': {
      repo.git('add', '-A')
      repo.tryGit('commit', '-qm', 'before merge')
      const merged = repo.tryGit('merge', '-q', '--no-edit', `b${s.name}`)
      if (merged.status !== 0 && repo.tryGit('rev-parse', '-q', '--verify', 'MERGE_HEAD').status === 0) {
        // a conflict: the markers are readable in the work tree; give up this merge
        repo.git('merge', '--abort')
      }
      state.clear()
      return
    }
  }
}

function checkInvariants(repo: Repo, state: Map<string, string[]>): void {
  // the work tree holds the last plaintext written (while no checkout or merge replaced it)
  for (const [file, lines] of state) expect(repo.read(file).toString(), file).toBe(content(file, lines))
  const all = spawnSync('git', ['cat-file', '--batch-all-objects', '--batch'], {
    cwd: repo.dir,
    env: repo.env,
    maxBuffer: 1 << 30,
  }).stdout
  expect(all.includes(MARKER), 'a plaintext marker in the object database').toBe(false)
  for (const file of FILES) {
    let bytes: Buffer
    try {
      bytes = repo.read(file)
    } catch {
      continue
    }
    expect(isAgeFile(bytes), `${file} is ciphertext in the work tree`).toBe(false)
    expect(bytes.toString()).not.toContain('ENC[AES256_GCM')
  }
}

describe('random git workflows (property)', () => {
  it('never store plaintext, always leave plaintext in the work tree', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 3, maxLength: 12 }), (steps) => {
        const { repo } = sealedRepo(['secrets/**'])
        const state = new Map<string, string[]>()
        for (const s of steps) {
          apply(repo, s, state)
          checkInvariants(repo, state)
        }
      }),
      { numRuns: 6 },
    )
  }, 300_000)
})
