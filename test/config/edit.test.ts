// In-place edits of .gitseal.yaml: add-recipient never creates a group.
import { describe, expect, it } from 'vitest'
import { addRecipient } from '../../src/config/edit.js'
import { UserError } from '../../src/ui.js'

const config = `version: 1
groups:
  dev:
    recipients:
      admins:
        - name: alice
          key: age1alice
    secrets:
      s:
        path: secrets/**
  prod:
    recipients: {}
    secrets: {}
`

describe('addRecipient', () => {
  it('refuses an unknown group, naming the groups there are, instead of creating it', () => {
    let thrown: unknown
    try {
      addRecipient(config, 'staging', 'admin', 'bob', 'age1bob')
    } catch (e) {
      thrown = e
    }
    expect(thrown).toBeInstanceOf(UserError)
    expect((thrown as UserError).message).toBe('.gitseal.yaml has no group named "staging"')
    expect((thrown as UserError).hint).toContain('(dev, prod)')
  })

  it('without any group, says to add one', () => {
    expect(() => addRecipient('version: 1\ngroups: {}\n', 'dev', 'admin', 'bob', 'age1bob')).toThrow(
      'has no group named "dev"',
    )
  })

  it('adds to an existing group, creating the list it lacks', () => {
    const out = addRecipient(config, 'prod', 'target', 'server', 'age1server')
    expect(out).toContain('targets:')
    expect(out).toContain('age1server')
    expect(addRecipient(config, 'dev', 'admin', 'bob', 'age1bob')).toContain(
      '        - name: bob\n          key: age1bob\n',
    )
  })
})
