#!/usr/bin/env node
// The layering of src/ (issue 15), checked: test/architecture.test.ts fails on any import found
// here, and `npm run report:architecture` prints them.
//
//   cli -> commands -> operations -> {filter, seal} -> {config, keys, git} -> {formats, age} -> lazy
//
// A module imports its own layer and the layers below it, never one above. Besides:
// - errors.ts, version.ts, test-hooks.ts, code-paths.ts and thread-priority.ts are leaves any layer
//   may import; ui.ts (printing) is for the layers from {filter, seal} up, so config/, git/ and
//   keys/ throw instead of print;
// - the entries at the top of src/ (cli.ts, hot.ts, textconv.ts) and their code-cached loaders
//   (src/startup/) rank with cli/;
// - a command never imports another command: what several commands print alike lives in
//   src/commands/output/, which imports no command;
// - only src/age/index.ts is imported from outside src/age;
// - only src/git/ runs git: elsewhere, nothing spawns `git`, and of src/git/run.ts only the
//   GitError class may be imported (its runners are for src/git's one-function-per-command
//   wrappers, which parse the output next to the command that printed it).
// Usage: node scripts/architecture.mjs [--json] [SRC-DIR]
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** Higher imports lower; the same rank imports the same rank. */
export const RANK = {
  cli: 7,
  startup: 7,
  commands: 6,
  operations: 5,
  filter: 4,
  seal: 4,
  config: 3,
  keys: 3,
  git: 3,
  formats: 2,
  age: 2,
  lazy: 1,
}
const ENTRIES = new Set(['cli', 'hot', 'textconv'])
const LEAVES = new Set(['errors', 'version', 'test-hooks', 'code-paths', 'thread-priority'])
const UI_MIN_RANK = RANK.seal
const GIT_RUNNERS_ALLOWED_OUTSIDE = new Set(['GitError'])

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name)
    if (entry.isDirectory()) yield* files(p)
    else if (p.endsWith('.ts')) yield p
  }
}

/** The layer of a file under src/: its top directory, or its name for a file at the top. */
function layerOf(src, file) {
  const [top, ...rest] = relative(src, file).split(sep)
  if (rest.length === 0) {
    const name = top.replace(/\.ts$/, '')
    return ENTRIES.has(name) ? 'cli' : name
  }
  return top
}

/** Relative imports of a module's text: static, re-exports, side-effect and dynamic ones. */
function imports(text) {
  const found = []
  const patterns = [
    /^\s*(?:import|export)\s+(type\s+)?([^'"]*?)\s*from\s+'([^']+)'/gm,
    /^\s*import\s+'([^']+)'/gm,
    /\bimport\(\s*'([^']+)'\s*\)/g,
  ]
  for (const [i, pattern] of patterns.entries()) {
    for (const m of text.matchAll(pattern)) {
      const spec = i === 0 ? m[3] : m[1]
      const typeOnly = i === 0 && m[1] !== undefined
      const names = i === 0 ? m[2] : ''
      found.push({
        spec,
        typeOnly,
        names,
        line: text.slice(0, m.index).split('\n').length + (m[0].startsWith('\n') ? 1 : 0),
      })
    }
  }
  return found
}

/** Every import (and git spawn) in `src` that goes against the layering, as `{ rule, where, what }`. */
export function layeringViolations(src = join(ROOT, 'src')) {
  const violations = []
  const at = (file, line) => `${relative(dirname(src), file)}:${line}`
  for (const file of files(src)) {
    const from = layerOf(src, file)
    const text = readFileSync(file, 'utf8')
    if (from !== 'git') {
      for (const m of text.matchAll(/\b(?:spawn|spawnSync|execFile|execFileSync|exec|execSync)\(\s*['"`]git\b/g)) {
        violations.push({
          rule: 'git run outside src/git',
          where: at(file, text.slice(0, m.index).split('\n').length),
          what: m[0],
        })
      }
    }
    for (const { spec, typeOnly, names, line } of imports(text)) {
      if (!spec.startsWith('.')) continue
      const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts')
      if (!target.startsWith(src + sep)) continue
      const to = layerOf(src, target)
      const where = at(file, line)
      const what = `${relative(dirname(src), file)} -> ${relative(dirname(src), target)}${typeOnly ? ' (type only)' : ''}`
      if (from !== 'git' && to === 'git' && relative(join(src, 'git'), target) === 'run.ts') {
        const imported = names
          .replace(/[{}]/g, '')
          .split(',')
          .map(
            (n) =>
              n
                .trim()
                .replace(/^type\s+/, '')
                .split(/\s+as\s+/)[0],
          )
          .filter(Boolean)
        const runners = imported.filter((n) => !GIT_RUNNERS_ALLOWED_OUTSIDE.has(n))
        if (runners.length > 0 || imported.length === 0)
          violations.push({
            rule: 'git run outside src/git (a runner of src/git/run.ts imported)',
            where,
            what: `${what} (${runners.join(', ') || names})`,
          })
      }
      if (to === from) {
        if (from === 'commands') {
          const fromOutput = relative(join(src, 'commands'), file).startsWith('output' + sep)
          const toOutput = relative(join(src, 'commands'), target).startsWith('output' + sep)
          if (!toOutput)
            violations.push({
              rule: fromOutput ? 'commands/output imports a command' : 'a command imports another command',
              where,
              what,
            })
        }
        continue
      }
      if (LEAVES.has(to)) continue
      if (to === 'age' && relative(join(src, 'age'), target) !== 'index.ts') {
        violations.push({ rule: "src/age's internals imported from outside (use src/age/index.ts)", where, what })
      }
      if (to === 'ui') {
        if ((RANK[from] ?? 0) < UI_MIN_RANK) violations.push({ rule: `${from}/ prints (imports ui.ts)`, where, what })
        continue
      }
      const a = RANK[from]
      const b = RANK[to]
      if (a === undefined || b === undefined) {
        violations.push({ rule: 'a module outside the known layers', where, what })
        continue
      }
      if (b > a) violations.push({ rule: `${from}/ imports the layer above it (${to}/)`, where, what })
    }
  }
  return violations
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv.slice(2).find((a) => !a.startsWith('--'))
  const violations = layeringViolations(dir ? resolve(dir) : undefined)
  if (process.argv.includes('--json')) console.log(JSON.stringify(violations, null, 2))
  else {
    const byRule = new Map()
    for (const v of violations) byRule.set(v.rule, [...(byRule.get(v.rule) ?? []), v])
    for (const [rule, list] of [...byRule].sort((x, y) => y[1].length - x[1].length)) {
      console.log(`${rule}: ${list.length}`)
      for (const v of list) console.log(`  ${v.what}  (${v.where})`)
    }
    console.log(`${violations.length} import(s) against the layering`)
  }
  process.exitCode = violations.length > 0 ? 1 : 0
}
