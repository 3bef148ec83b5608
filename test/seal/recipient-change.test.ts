import { describe, expect, it } from 'vitest'
import { recipientChange } from '../../src/seal/recipient-change.js'

// The one comparison status, rekey, sops re-encryption, recipients PATH and verify share.
describe('recipientChange', () => {
  it.each([
    { configured: ['a', 'b'], recorded: ['a', 'b'], added: [], removed: [] },
    { configured: ['a', 'b', 'c'], recorded: ['a'], added: ['b', 'c'], removed: [] },
    { configured: ['a'], recorded: ['a', 'x'], added: [], removed: ['x'] },
    { configured: ['a', 'b'], recorded: ['b', 'x'], added: ['a'], removed: ['x'] },
    { configured: [], recorded: ['x'], added: [], removed: ['x'] },
    { configured: ['a'], recorded: [], added: ['a'], removed: [] },
    // order does not matter; each side keeps its own order
    { configured: ['c', 'a'], recorded: ['a', 'c'], added: [], removed: [] },
  ])('$configured against $recorded', ({ configured, recorded, added, removed }) => {
    expect(recipientChange(configured, recorded)).toEqual({ added, removed })
  })
})
