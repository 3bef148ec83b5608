// In-place edits keep the user's formatting: flow lists stay flow lists, comments stay where
// they were, and only the changed lines differ (golden before/after texts).
import { describe, expect, it } from 'vitest'
import { addRecipient, parseConfig, removeRecipient, setKey } from '../../src/config/index.js'
import { newKey } from '../helpers/repo.js'

const A = newKey().recipient
const B = newKey().recipient
const C = newKey().recipient
const D = newKey().recipient
const E = newKey().recipient
const F = newKey().recipient

/** The lines of `after` that are not in `before`, and the reverse: what a line diff would show. */
function changedLines(before: string, after: string): { added: string[]; removed: string[] } {
  const a = before.split('\n')
  const b = after.split('\n')
  const count = (xs: string[]): Map<string, number> =>
    xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>())
  const ca = count(a)
  const cb = count(b)
  const added = [...cb].flatMap(([l, n]) => Array<string>(Math.max(0, n - (ca.get(l) ?? 0))).fill(l))
  const removed = [...ca].flatMap(([l, n]) => Array<string>(Math.max(0, n - (cb.get(l) ?? 0))).fill(l))
  return { added, removed }
}

const people = `# platform team secrets
version: 2
people:
  - name: alice      # laptop, since March
    key: ${A}
  - name: ci
    key: ${B}
    comment: GitHub Actions
  - name: ops
    key: ${E}
groups:
  prod:   # production
    recipients:
      admins: [alice]          # on call
      targets:
        - ci
        # the web host, inline (schema 1 form)
        - name: web
          key: ${C}
    secrets:
      api:
        path: [secrets/api.txt]
        targets: [ci, web]     # both deploy it
      db:
        path: secrets/db.yaml
        targets:
          - ci
`

describe('golden edits of a config with people', () => {
  it('the golden config is valid and resolves people by name', () => {
    const c = parseConfig(people)
    expect(c.people.map((p) => [p.name, p.comment ?? null])).toEqual([
      ['alice', null],
      ['ci', 'GitHub Actions'],
      ['ops', null],
    ])
    expect(c.secrets.map((s) => [s.name, s.recipients.map((r) => `${r.name}:${r.person}`)])).toEqual([
      ['api', ['alice:true', 'ci:true', 'web:false']],
      ['db', ['alice:true', 'ci:true']],
    ])
  })

  it('removing ci changes only the lines that name ci; flow lists stay flow lists', () => {
    const { text, removedFrom, removedPerson } = removeRecipient(people, 'ci')
    expect(removedFrom).toEqual(['prod'])
    expect(removedPerson).toBe(true)
    expect(text).toBe(
      people
        .replace(`  - name: ci\n    key: ${B}\n    comment: GitHub Actions\n`, '')
        .replace('        - ci\n        # the web', '        # the web')
        .replace('targets: [ci, web]     # both', 'targets: [web]     # both')
        .replace('        targets:\n          - ci\n', '        targets: []\n'),
    )
    expect(parseConfig(text).secrets.map((s) => s.recipients.map((r) => r.name))).toEqual([['alice', 'web'], ['alice']])
  })

  it('removing from one group keeps the person declared', () => {
    const { text, removedPerson } = removeRecipient(people, 'ci', 'prod')
    expect(removedPerson).toBe(false)
    expect(text).toContain(`  - name: ci\n    key: ${B}\n    comment: GitHub Actions\n`)
  })

  it('adding a person declares them once and names them in the flow list', () => {
    const after = addRecipient(people, 'prod', 'admin', 'bob', D)
    expect(changedLines(people, after)).toEqual({
      added: [`  - name: bob`, `    key: ${D}`, '      admins: [alice, bob]          # on call'],
      removed: ['      admins: [alice]          # on call'],
    })
    expect(parseConfig(after).groups[0]!.admins.map((r) => r.name)).toEqual(['alice', 'bob'])
  })

  it('adding a declared person as a target needs no key, and goes into the block list', () => {
    const after = addRecipient(people, 'prod', 'target', 'ops', null)
    expect(changedLines(people, after)).toEqual({ added: ['        - ops'], removed: [] })
    expect(after).toContain(`        - ops\n    secrets:`)
  })

  it('a person of the same name with another key is refused, pointing at set-key', () => {
    expect(() => addRecipient(people, 'prod', 'target', 'ops', F)).toThrow('declared in people with another key')
    expect(() => addRecipient(people, 'prod', 'target', 'alice', null)).toThrow('already has a recipient named alice')
  })

  it('set-key changes exactly the key line of a person', () => {
    const { text, places, oldKeys } = setKey(people, 'alice', F)
    expect(places).toEqual(['people'])
    expect(oldKeys).toEqual([A])
    expect(changedLines(people, text)).toEqual({ added: [`    key: ${F}`], removed: [`    key: ${A}`] })
    expect(parseConfig(text).secrets[0]!.recipients[0]!.key).toBe(F)
  })

  it('set-key changes an inline recipient in its group', () => {
    const { text, places } = setKey(people, 'web', F)
    expect(places).toEqual(['group prod'])
    expect(changedLines(people, text)).toEqual({ added: [`          key: ${F}`], removed: [`          key: ${C}`] })
  })

  it('set-key of an unknown name is refused', () => {
    expect(() => setKey(people, 'mallory', E)).toThrow('no person or recipient named mallory')
  })
})

describe('golden edits of a schema 1 config (inline recipients)', () => {
  const inline = `version: 1
groups:
  dev:
    recipients:
      admins: [{name: alice, key: ${A}}]   # flow style
      targets:
        - name: ci
          key: ${B}
    secrets:
      app:
        path: "app/*.env"
        targets: [ci]
`

  it('add to a flow list of maps stays flow', () => {
    const after = addRecipient(inline, 'dev', 'admin', 'bob', D)
    expect(changedLines(inline, after)).toEqual({
      added: [`      admins: [{name: alice, key: ${A}}, {name: bob, key: ${D}}]   # flow style`],
      removed: [`      admins: [{name: alice, key: ${A}}]   # flow style`],
    })
    expect(parseConfig(after).groups[0]!.admins.map((r) => r.name)).toEqual(['alice', 'bob'])
  })

  it('remove a target: its lines go, the secret keeps a flow list', () => {
    const { text } = removeRecipient(inline, 'ci')
    expect(text).toBe(
      inline
        .replace(`        - name: ci\n          key: ${B}\n`, '')
        .replace('      targets:\n', '      targets: []\n')
        .replace('targets: [ci]', 'targets: []'),
    )
    expect(parseConfig(text).groups[0]!.targets).toEqual([])
  })

  it('adds a targets key to a flow mapping {} in flow style', () => {
    const text = 'version: 1\ngroups:\n  prod:\n    recipients: {}   # none yet\n    secrets: {}\n'
    const after = addRecipient(text, 'prod', 'target', 'server', D)
    expect(after).toBe(
      `version: 1\ngroups:\n  prod:\n    recipients: {targets: [{name: server, key: ${D}}]}   # none yet\n    secrets: {}\n`,
    )
  })

  it('adds a list to an empty recipients mapping on the next line', () => {
    const text = `version: 1\ngroups:\n  prod:\n    recipients:\n    secrets:\n      s:\n        path: a\n`
    const after = addRecipient(text, 'prod', 'admin', 'alice', A)
    expect(after).toBe(
      `version: 1\ngroups:\n  prod:\n    recipients:\n      admins:\n        - name: alice\n          key: ${A}\n    secrets:\n      s:\n        path: a\n`,
    )
  })

  it('keeps CRLF line endings', () => {
    const crlf = inline.replace(/\n/g, '\r\n')
    const after = addRecipient(crlf, 'dev', 'target', 'web', C)
    expect(after).toContain(`        - name: web\r\n          key: ${C}\r\n`)
    expect(after.replace(/\r\n/g, '')).not.toContain('\n')
  })
})
