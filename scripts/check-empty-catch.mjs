#!/usr/bin/env node
// Lists every `catch` block in src/ whose body is empty, with no comment saying why it may be
// (inside the braces, or after them on the same line). Exits 1 when there is one; run by
// test/cli/hygiene.test.ts. A block that only holds a comment is the documented form:
//   } catch {
//     // the file is gone already: nothing to remove
//   }
import { readFileSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name)
    if (entry.isDirectory()) yield* files(p)
    else if (p.endsWith('.ts')) yield p
  }
}

/** `file:line` of each undocumented empty catch block in the TypeScript under `dir`. */
export function undocumentedEmptyCatches(dir = join(root, 'src')) {
  const found = []
  for (const file of files(dir)) {
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(/\bcatch\s*(\([^)]*\))?\s*\{/g)) {
      const open = m.index + m[0].length
      // An empty body closes at once (whitespace and comments aside): find the brace.
      let i = open
      let commented = false
      for (;;) {
        const rest = text.slice(i)
        const ws = /^\s+/.exec(rest)
        if (ws) i += ws[0].length
        else if (rest.startsWith('//')) {
          commented = true
          i = text.indexOf('\n', i)
        } else if (rest.startsWith('/*')) {
          commented = true
          i = text.indexOf('*/', i) + 2
        } else break
      }
      if (text[i] !== '}') continue // a body with statements
      const lineEnd = text.indexOf('\n', i)
      const after = text.slice(i + 1, lineEnd === -1 ? undefined : lineEnd)
      if (commented || /^\s*(\)|;|,)*\s*\/\//.test(after)) continue
      const line = text.slice(0, m.index).split('\n').length
      found.push(`${relative(root, file)}:${line}`)
    }
  }
  return found
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const found = undocumentedEmptyCatches()
  for (const f of found) console.log(`${f}: an empty catch block says nothing about why`)
  process.exit(found.length > 0 ? 1 : 0)
}
