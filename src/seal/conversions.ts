/**
 * Attributes that make git rewrite ciphertext. git applies `text`/`eol` (line endings),
 * `ident` and `working-tree-encoding` to what clean returns before storing it, and to the
 * stored blob before smudge sees it: a CRLF pair inside an age payload turned into LF, and the
 * committed blob no longer decrypts. The block in the root .gitattributes turns them off, but
 * a nested .gitattributes or .git/info/attributes outranks it whatever the order, so every
 * entry point asks git what really applies:
 *
 * - clean refuses the path (a configuration error: storing would corrupt it);
 * - smudge keeps the blob as stored and names the file;
 * - the guard, `status` and `verify` report it.
 */
import { readFileSync } from 'node:fs'
import { quotePattern } from '../config/index.js'
import {
  CONVERSION_ATTRIBUTES,
  CheckAttrBatch,
  TreeAttributes,
  attributeFilesFor,
  checkAttrs,
  conversionsOf,
  coreAutoCrlf,
  globalAttributesFile,
  type AttributeValue,
  type AutoCrlf,
  type Conversion,
} from '../git/attributes.js'
import { BlockAttributes } from '../git/block-attributes.js'
import type { RepoPaths } from '../git/repo.js'
import { lsTree } from '../git/plumbing.js'
import { UserError, shellWord } from '../ui.js'
import type { SealContext } from './context.js'

export type { Conversion } from '../git/attributes.js'

/** What to turn off, per attribute, in the file that sets it. */
const OFF: Record<string, string> = {
  text: '-text',
  crlf: '-text',
  eol: '-text',
  ident: '-ident',
  'working-tree-encoding': '!working-tree-encoding',
}

/** "'text eol=lf' rewrites line endings", joined for a message. */
export function describeConversions(conversions: readonly Conversion[]): string {
  return conversions.map((c) => `'${c.setting}' rewrites ${c.rewrites}`).join(', and ')
}

/** True when a non-comment line of an attributes file assigns one of `names` (set, -unset, !unspecified, =value). */
function assigns(text: string, names: readonly string[], skipGitSealBlock: boolean): boolean {
  let inBlock = false
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (skipGitSealBlock && line.startsWith('# BEGIN git-seal')) inBlock = true
    if (skipGitSealBlock && line.startsWith('# END git-seal')) inBlock = false
    if (inBlock || line === '' || line.startsWith('#')) continue
    const tokens = line.split(/\s+/).slice(1)
    if (tokens.some((t) => names.includes(t.replace(/^[-!]/, '').replace(/=.*$/, '')))) return true
  }
  return false
}

/**
 * Where to change it: the strongest attribute file that assigns one of the attributes, with a
 * line that turns them off for this path; every file git reads for it when none visibly does
 * (a macro can hide an attribute).
 */
function whereToFix(
  root: string,
  commonDir: string,
  path: string,
  conversions: readonly Conversion[],
  globalFile: string | null,
): string {
  const names = [...new Set(conversions.flatMap((c) => c.attributes))]
  const off = [...new Set(names.map((n) => OFF[n]!))].join(' ')
  const files = attributeFilesFor(root, commonDir, path, globalFile)
  const diagnose = `'git check-attr -a -- ${shellWord(path)}' lists what applies`
  if (names.length === 0) {
    // core.autocrlf decides only when no attribute does: something left `text` unspecified.
    const read = files.map((f) => f.shown).join(', ') || '.gitattributes'
    return `a line in ${read} leaves 'text' unspecified for this file ('!text', or a value git does not know), so core.autocrlf applies: make it '-text' there, or set core.autocrlf=false; ${diagnose}`
  }
  for (const f of files) {
    let text: string
    try {
      text = readFileSync(f.file, 'utf8')
    } catch {
      continue // gone since it was listed: nothing of it applies
    }
    if (!assigns(text, names, f.shown === '.gitattributes')) continue
    if (f.shown === '.gitattributes')
      return `the root .gitattributes sets it after git-seal's block: run 'git-seal sync' (it puts the block last), then 'git add .gitattributes'; ${diagnose}`
    const pattern = quotePattern('/' + (f.dir === '' ? path : path.slice(f.dir.length + 1)))
    return `${f.shown} sets it, and outranks git-seal's block in .gitattributes: remove it there for this file, or add '${pattern} ${off}' at the end of ${f.shown}; ${diagnose}`
  }
  const read = files.map((f) => f.shown).join(', ') || 'no attribute file in the work tree'
  return `turn it off for this file ('${off}') where it is set: ${read} (none visibly sets it: a macro may, or a .gitattributes deleted from the work tree but still in the index); ${diagnose}`
}

/** The message and hint for a secret whose ciphertext git rewrites. */
export function conversionProblem(
  root: string,
  commonDir: string,
  path: string,
  conversions: readonly Conversion[],
  globalFile: string | null,
): { message: string; hint: string } {
  return {
    message: `${path}: git would rewrite its ciphertext (${describeConversions(conversions)}), so the stored blob would not decrypt`,
    hint: whereToFix(root, commonDir, path, conversions, globalFile),
  }
}

/**
 * clean's refusal: a configuration error, not a file to encrypt.
 * @throws {UserError} always.
 */
export function refuseClean(
  root: string,
  commonDir: string,
  path: string,
  conversions: readonly Conversion[],
  env: NodeJS.ProcessEnv = process.env,
): never {
  const { message, hint } = conversionProblem(root, commonDir, path, conversions, globalAttributesFile(root, env))
  throw new UserError(message, hint)
}

/**
 * smudge's answer for such a path: the blob unopened (git may already have rewritten what it
 * sent, so decrypting could only fail or mislead), and the file named. When git says which blob
 * it is, the stored bytes themselves, so the work tree holds ciphertext that `age -d` opens.
 */
export async function keepAsStored(
  ctx: Pick<SealContext, 'report' | 'stored'>,
  path: string,
  conversions: readonly Conversion[],
  content: AsyncIterable<Uint8Array>,
  blobOid?: string,
): Promise<Uint8Array[]> {
  ctx.report.keptAsStored(
    path,
    `git rewrites it before decryption (${describeConversions(conversions)})`,
    "turn those attributes off for git-seal's files ('git-seal status' says where), then check the files out again",
  )
  const chunks: Uint8Array[] = []
  for await (const chunk of content) chunks.push(chunk)
  const stored = blobOid ? await ctx.stored.blob(blobOid) : null
  return stored ? [stored] : chunks
}

/**
 * The conversions git applies to each path, asked of a long-running `git check-attr` started on
 * the first question (the filter process: no process per file). Work tree attributes first,
 * then the index's, as `git add` reads them.
 */
export class ConversionCheck {
  private batch: CheckAttrBatch | null = null
  private autocrlf: AutoCrlf | undefined
  /** the block of the root .gitattributes when it may decide alone (git/block-attributes.ts); null when not */
  private block: BlockAttributes | null | undefined

  /** `indexPaths`: the index's paths read in-process, null when only git can read the index. */
  constructor(
    readonly root: string,
    readonly paths: RepoPaths,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly indexPaths: () => ReadonlyMap<string, unknown> | null = () => null,
  ) {}

  private autoCrlf = (): AutoCrlf => (this.autocrlf ??= coreAutoCrlf(this.root, this.env))

  /**
   * The attributes from the files, when git-seal's block certainly decides them (no check-attr
   * process for the usual secret); null when check-attr must be asked.
   */
  private fromBlock(path: string): Map<string, AttributeValue> | null {
    // Read again for each new index: a command that checks out many commits (a rebase) may
    // change the root .gitattributes between steps.
    const index = this.indexPaths()
    if (this.block === undefined || index !== this.blockIndex) {
      this.block = BlockAttributes.load(this.root, this.paths, this.env)
      this.blockIndex = index
    }
    return this.block?.valuesFor(path, () => index) ?? null
  }
  private blockIndex: ReadonlyMap<string, unknown> | null = null

  /**
   * The conversions for one path; [] when git stores what the filter returns as it is.
   * @throws {Error} when git check-attr cannot start or exits.
   */
  async of(path: string): Promise<Conversion[]> {
    const known = this.fromBlock(path)
    if (known) return conversionsOf(known, this.autoCrlf)
    this.batch ??= new CheckAttrBatch(this.root, CONVERSION_ATTRIBUTES, this.env)
    return conversionsOf(await this.batch.get(path), this.autoCrlf)
  }

  /**
   * {@link of} for a one-shot filter: one check-attr process, no child left behind.
   * @throws {GitError} when git check-attr fails.
   */
  ofOnce(path: string): Conversion[] {
    const row =
      this.fromBlock(path) ??
      checkAttrs(this.root, CONVERSION_ATTRIBUTES, [path], { env: this.env }).get(path) ??
      new Map<string, AttributeValue>()
    return conversionsOf(row, this.autoCrlf)
  }

  close(): void {
    this.batch?.close()
    this.batch = null
  }
}

export interface ManglingOptions {
  /** the index's .gitattributes (what a commit stores), not the work tree's */
  cached?: boolean
  /** a tree-ish: its .gitattributes files (what a checkout of it reads); core.autocrlf left out */
  source?: string
  env?: NodeJS.ProcessEnv
}

function mangled(table: ReturnType<typeof checkAttrs>, autocrlf: () => AutoCrlf): Map<string, Conversion[]> {
  const out = new Map<string, Conversion[]>()
  for (const [path, row] of table) {
    const conversions = conversionsOf(row, autocrlf)
    if (conversions.length > 0) out.set(path, conversions)
  }
  return out
}

/**
 * The same question about trees, for `verify`: what a checkout of each tree would do to its
 * secrets, from the tree's own .gitattributes files (git before 2.40 has no `check-attr
 * --source`). Trees with the same .gitattributes share one temporary index; close() removes them.
 * A clone's core.autocrlf is its own business (clean and the guard check it there).
 */
export class TreeConversions {
  private readonly trees: TreeAttributes

  constructor(
    private readonly root: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.trees = new TreeAttributes(root, env)
  }

  /**
   * Paths among `paths` whose ciphertext git rewrites in `treeish`, with the conversions.
   * @throws {UserError} when `treeish` names no tree; {@link GitError} when git fails.
   */
  at(treeish: string, paths: readonly string[]): Map<string, Conversion[]> {
    if (paths.length === 0) return new Map()
    const entries = lsTree(this.root, treeish, { env: this.env })
    if (entries === null) throw new UserError(`${treeish} names no tree`, 'give a commit or tree that exists here')
    return mangled(this.trees.check(entries, CONVERSION_ATTRIBUTES, paths), () => 'false')
  }

  close(): void {
    this.trees.close()
  }
}

export interface ManglingOptions {
  /** the index's .gitattributes (what a commit stores), not the work tree's */
  cached?: boolean
  /** a tree-ish: its .gitattributes files (what a checkout of it reads); see {@link TreeConversions} */
  source?: string
  env?: NodeJS.ProcessEnv
}

/**
 * Paths among `paths` whose ciphertext git rewrites, with the conversions: one check-attr
 * process for all of them (plus one ls-tree and one update-index with `source`).
 * @throws {UserError} when `source` names no tree; {@link GitError} when git fails (a path
 *   outside the repository, an unreadable index).
 */
export function manglingAttributes(
  root: string,
  paths: readonly string[],
  options: ManglingOptions = {},
): Map<string, Conversion[]> {
  const env = options.env ?? process.env
  if (options.source !== undefined) {
    const trees = new TreeConversions(root, env)
    try {
      return trees.at(options.source, paths)
    } finally {
      trees.close()
    }
  }
  if (paths.length === 0) return new Map()
  let autocrlf: AutoCrlf | undefined
  return mangled(
    checkAttrs(root, CONVERSION_ATTRIBUTES, paths, { cached: options.cached === true, env }),
    () => (autocrlf ??= coreAutoCrlf(root, env)),
  )
}
