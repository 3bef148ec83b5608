/**
 * The layering of src/ (issue 15; the rules are in scripts/architecture.mjs): the real tree has
 * no import against it, and the checker finds each kind of violation in a small tree made here.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
// @ts-expect-error: a plain ES module script, without types
import { layeringViolations } from '../scripts/architecture.mjs'

type Violation = { rule: string; where: string; what: string }
const check = layeringViolations as (src?: string) => Violation[]

/** A src/ tree of the given files (path -> text) in a fresh temp dir. */
function tree(files: Record<string, string>): string {
  const src = join(mkdtempSync(join(tmpdir(), 'git-seal-arch-')), 'src')
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(src, path)), { recursive: true })
    writeFileSync(join(src, path), text)
  }
  return src
}

describe('architecture', () => {
  it('src/ has no import against cli -> commands -> operations -> {filter, seal} -> {config, keys, git} -> {formats, age}', () => {
    expect(check().map((v) => `${v.rule}: ${v.what} (${v.where})`)).toEqual([])
  })

  const cases: [string, Record<string, string>, string][] = [
    [
      'a lower layer importing a higher one',
      { 'config/a.ts': "import { x } from '../operations/b.js'\n", 'operations/b.ts': 'export const x = 1\n' },
      'config/ imports the layer above it (operations/)',
    ],
    [
      'a dynamic import upwards',
      { 'seal/a.ts': "const m = await import('../commands/b.js')\n", 'commands/b.ts': '' },
      'seal/ imports the layer above it (commands/)',
    ],
    [
      'a command importing a command',
      { 'commands/a.ts': "import { y } from './b.js'\n", 'commands/b.ts': '' },
      'a command imports another command',
    ],
    [
      'output/ importing a command',
      { 'commands/output/a.ts': "import { y } from '../b.js'\n", 'commands/b.ts': '' },
      'commands/output imports a command',
    ],
    [
      "age's internals from outside",
      { 'seal/a.ts': "import { y } from '../age/stream.js'\n", 'age/stream.ts': '' },
      "src/age's internals imported from outside (use src/age/index.ts)",
    ],
    ['git/ printing', { 'git/a.ts': "import { info } from '../ui.js'\n", 'ui.ts': '' }, 'git/ prints (imports ui.ts)'],
    [
      'git spawned outside src/git',
      { 'operations/a.ts': "import { spawnSync } from 'node:child_process'\nspawnSync('git', ['log'])\n" },
      'git run outside src/git',
    ],
    [
      "src/git/run.ts's runner imported outside src/git",
      { 'seal/a.ts': "import { GitError, gitBytes } from '../git/run.js'\n", 'git/run.ts': '' },
      'git run outside src/git (a runner of src/git/run.ts imported)',
    ],
    [
      'an unknown top directory',
      { 'misc/a.ts': "import { y } from '../seal/b.js'\n", 'seal/b.ts': '' },
      'a module outside the known layers',
    ],
  ]
  for (const [name, files, rule] of cases) {
    it(`finds ${name}`, () => {
      expect(check(tree(files)).map((v) => v.rule)).toContain(rule)
    })
  }

  it('allows what the layering allows', () => {
    const src = tree({
      'cli/main.ts': "const c = await import('../commands/a.js')\n",
      'hot.ts': "import { run } from './commands/a.js'\n",
      'commands/a.ts':
        "import { op } from '../operations/b.js'\nimport { print } from './output/p.js'\nimport { UsageError } from '../errors.js'\n",
      'commands/output/p.ts': "import { printResult } from '../../ui.js'\n",
      'operations/b.ts': "import { seal } from '../seal/c.js'\nimport { GitError } from '../git/run.js'\n",
      'seal/c.ts':
        "import { parse } from '../config/d.js'\nimport { encrypt } from '../age/index.js'\nimport { warning } from '../ui.js'\n",
      'config/d.ts': "import { UserError } from '../errors.js'\nimport { load } from '../lazy/yaml.js'\n",
      'git/run.ts': "import { spawnSync } from 'node:child_process'\nspawnSync('git', [])\n",
      'ui.ts': '',
      'errors.ts': '',
      'age/index.ts': '',
      'lazy/yaml.ts': '',
    })
    expect(check(src)).toEqual([])
  })
})
