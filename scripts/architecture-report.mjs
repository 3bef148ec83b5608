#!/usr/bin/env node
// Lists the imports in src/ that go against the layering issue 15 asks for, without failing:
//
//   cli -> commands -> operations -> {filter, seal} -> {config, keys, git} -> {formats, age}
//
// A module may import its own layer's modules and any layer below it; errors.ts, version.ts
// and test-hooks.ts are leaves every layer may import; ui.ts (printing) is for the layers from
// {filter, seal} up. Also reported: a command importing another command, and anything outside
// src/age importing src/age's internals instead of src/age/index.ts.
//
// Report only, on purpose (exit 0): the layout is moved into place once the branches now in
// flight have merged, and this becomes test/architecture.test.ts then.
// Usage: node scripts/architecture-report.mjs [--json]
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const src = join(root, 'src')

/** Higher imports lower; the same rank imports the same rank. */
const RANK = { cli: 6, commands: 5, operations: 4, filter: 3, seal: 3, config: 2, keys: 2, git: 2, formats: 1, age: 1 }
const LEAVES = new Set(['errors', 'version', 'test-hooks'])
const UI_MIN_RANK = 3

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name)
    if (entry.isDirectory()) yield* files(p)
    else if (p.endsWith('.ts')) yield p
  }
}

/** The layer of a file under src/: its top directory, or its name for a file at the top. */
function layerOf(file) {
  const [top, ...rest] = relative(src, file).split('/')
  if (rest.length === 0) return top.replace(/\.ts$/, '') // cli.ts, ui.ts, errors.ts...
  return top
}

function imports(text) {
  const found = []
  const patterns = [/^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+'([^']+)'/gm, /^\s*import\s+'([^']+)'/gm, /\bimport\(\s*'([^']+)'\s*\)/g]
  for (const [i, pattern] of patterns.entries()) {
    for (const m of text.matchAll(pattern)) {
      const spec = i === 0 ? m[3] : m[1]
      const typeOnly = i === 0 && m[2] !== undefined
      found.push({ spec, typeOnly, line: text.slice(0, m.index).split('\n').length + (m[0].startsWith('\n') ? 1 : 0) })
    }
  }
  return found
}

const violations = []
for (const file of files(src)) {
  const from = layerOf(file)
  const text = readFileSync(file, 'utf8')
  for (const { spec, typeOnly, line } of imports(text)) {
    if (!spec.startsWith('.')) continue
    const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts')
    if (!target.startsWith(src)) continue
    const to = layerOf(target)
    const where = `${relative(root, file)}:${line}`
    const what = `${relative(root, file)} -> ${relative(root, target)}${typeOnly ? ' (type only)' : ''}`
    if (to === from) {
      if (from === 'commands' && dirname(file) === dirname(target)) violations.push({ rule: 'a command imports another command', where, what })
      continue
    }
    if (LEAVES.has(to)) continue
    if (to === 'age' && from !== 'age' && relative(join(src, 'age'), target) !== 'index.ts') {
      violations.push({ rule: "src/age's internals imported from outside (use src/age/index.ts)", where, what })
    }
    if (to === 'ui') {
      if ((RANK[from] ?? 0) < UI_MIN_RANK) violations.push({ rule: `${from}/ prints (imports ui.ts)`, where, what })
      continue
    }
    const a = from === 'cli' ? RANK.cli : RANK[from]
    const b = RANK[to]
    if (a === undefined || b === undefined) {
      violations.push({ rule: 'a module outside the known layers', where, what })
      continue
    }
    if (b > a) violations.push({ rule: `${from}/ imports the layer above it (${to}/)`, where, what })
  }
}

if (process.argv.includes('--json')) {
  console.log(JSON.stringify(violations, null, 2))
} else {
  const byRule = new Map()
  for (const v of violations) byRule.set(v.rule, [...(byRule.get(v.rule) ?? []), v])
  for (const [rule, list] of [...byRule].sort((x, y) => y[1].length - x[1].length)) {
    console.log(`${rule}: ${list.length}`)
    for (const v of list) console.log(`  ${v.what}  (${v.where})`)
  }
  console.log(`${violations.length} import(s) against the layering (report only; exit 0)`)
}
