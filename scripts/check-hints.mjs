#!/usr/bin/env node
// Lists every `new UserError(...)` in src/ that gives no hint (its second argument): every
// situation a user meets says what to do about it (issue 15, errors.ts). A usage error needs
// none of its own (the command line adds "run 'git-seal CMD --help'"), nor do the subclasses
// whose constructors supply one. Exits 1 when there is one; run by test/cli/hygiene.test.ts.
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

/** The number of top-level arguments in a call's argument text (strings and brackets skipped). */
export function argumentCount(text) {
  let depth = 0
  let quote = null
  let count = text.trim() === '' ? 0 : 1
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quote) {
      if (c === '\\') i++
      else if (c === quote) quote = null
      else if (quote === '`' && c === '$' && text[i + 1] === '{') {
        // a template's ${...}: skip to its closing brace
        let d = 0
        for (i++; i < text.length; i++) {
          if (text[i] === '{') d++
          else if (text[i] === '}' && --d === 0) break
        }
      }
    } else if (c === "'" || c === '"' || c === '`') quote = c
    else if ('([{'.includes(c)) depth++
    else if (')]}'.includes(c)) depth--
    else if (c === ',' && depth === 0) count++
  }
  // A trailing comma (a call split over lines) adds no argument.
  if (/,\s*$/.test(text)) count--
  return count
}

/** `file:line` of each `new UserError(...)` with one argument under `dir`. */
export function userErrorsWithoutHint(dir = join(root, 'src')) {
  const found = []
  for (const file of files(dir)) {
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(/\bnew UserError\(/g)) {
      let depth = 1
      let i = m.index + m[0].length
      let quote = null
      for (; i < text.length && depth > 0; i++) {
        const c = text[i]
        if (quote) {
          if (c === '\\') i++
          else if (c === quote) quote = null
        } else if (c === "'" || c === '"' || c === '`') quote = c
        else if (c === '(') depth++
        else if (c === ')') depth--
      }
      const args = text.slice(m.index + m[0].length, i - 1)
      if (argumentCount(args) < 2) found.push(`${relative(root, file)}:${text.slice(0, m.index).split('\n').length}`)
    }
  }
  return found
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const found = userErrorsWithoutHint()
  for (const f of found) console.log(f)
  process.exitCode = found.length > 0 ? 1 : 0
}
