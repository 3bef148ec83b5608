/**
 * `git-seal audit NAME|KEY [--json]`: every secret path a recipient could decrypt anywhere in
 * history, with the first and last commit of that window, from the config at each commit and
 * the recipient lists sops files record. Ends with a rotation checklist. Needs no private key.
 */
import { CONFIG_FILE, findSecret, parseConfig, type SealConfig } from '../config/index.js'
import { CatFileBatch } from '../git/objects.js'
import { repoPaths } from '../git/repo.js'
import { commitsWithTrees, lsTree, type CommitAndTree } from '../git/plumbing.js'
import { sopsRecipient } from '../seal/sops.js'
import { sopsMetadata } from '../seal/stored.js'
import { UserError, printResult } from '../ui.js'
import { bareRepositoryError } from '../errors.js'

export interface Exposure {
  path: string
  first: string
  last: string
  commits: number
  /** why: the config named them, or a sops file recorded their key */
  via: ('config' | 'sops-recipients')[]
}

function commits(root: string): CommitAndTree[] {
  return commitsWithTrees(root, ['--all', '--reverse', '--topo-order'])
}

function treeBlobs(root: string, tree: string): { path: string; oid: string }[] {
  return (lsTree(root, tree) ?? []).filter((e) => e.type === 'blob').map((e) => ({ path: e.path, oid: e.oid }))
}

/** Keys a name or key stands for, across every config in history. */
function keysFor(who: string, configs: SealConfig[]): Set<string> {
  const keys = new Set<string>()
  const looksLikeKey = /^(age1|ssh-)/.test(who)
  if (looksLikeKey) keys.add(who.trim().split(/\s+/).slice(0, 2).join(' '))
  for (const c of configs) for (const g of c.groups) for (const r of [...g.admins, ...g.targets]) if (r.name === who) keys.add(r.key.trim().split(/\s+/).slice(0, 2).join(' '))
  for (const k of [...keys]) {
    try {
      keys.add(sopsRecipient(k))
    } catch {
      // a key with no X25519 form (not ed25519): sops files cannot name it, so nothing to add
    }
  }
  return keys
}

export async function audit(root: string, who: string): Promise<Exposure[]> {
  const history = commits(root)
  const objects = new CatFileBatch(root)
  try {
    // Configs at every commit, parsed once per distinct blob.
    const parsed = new Map<string, SealConfig | null>()
    const configAt: (SealConfig | null)[] = []
    for (const { commit } of history) {
      const blob = await objects.get(`${commit}:${CONFIG_FILE}`)
      if (!blob) {
        configAt.push(null)
        continue
      }
      if (!parsed.has(blob.oid)) {
        try {
          parsed.set(blob.oid, parseConfig(blob.content.toString('utf8'), `${commit.slice(0, 12)}:${CONFIG_FILE}`))
        } catch {
          parsed.set(blob.oid, null)
        }
      }
      configAt.push(parsed.get(blob.oid) ?? null)
    }
    const keys = keysFor(who, [...parsed.values()].filter((c): c is SealConfig => c !== null))
    if (keys.size === 0) throw new UserError(`no recipient named ${who} in any ${CONFIG_FILE} of this history`, 'give the name as written in the config, or the public key')
    const normal = (k: string): string => k.trim().split(/\s+/).slice(0, 2).join(' ')

    const exposures = new Map<string, Exposure>()
    const trees = new Map<string, { path: string; oid: string }[]>()
    const sopsReaders = new Map<string, boolean>()
    for (let i = 0; i < history.length; i++) {
      const { commit, tree } = history[i]!
      const config = configAt[i] ?? null
      if (!trees.has(tree)) trees.set(tree, treeBlobs(root, tree))
      for (const blob of trees.get(tree)!) {
        const via: Exposure['via'] = []
        if (config) {
          try {
            const rule = findSecret(config, blob.path)
            if (rule?.recipients.some((r) => keys.has(normal(r.key)))) via.push('config')
          } catch {
            // two rules of that commit's config match the path: it names no recipients for it
          }
        }
        if (/\.(ya?ml|json|env|ini)$/.test(blob.path) || config) {
          let readable = sopsReaders.get(blob.oid)
          if (readable === undefined) {
            const object = await objects.get(blob.oid)
            const meta = object ? sopsMetadata(blob.path, object.content) : null
            readable = meta !== null && meta.age.some((e) => keys.has(normal(e.recipient)))
            sopsReaders.set(blob.oid, readable)
          }
          if (readable) via.push('sops-recipients')
        }
        if (via.length === 0) continue
        const seen = exposures.get(blob.path)
        if (seen) {
          seen.last = commit
          seen.commits++
          for (const v of via) if (!seen.via.includes(v)) seen.via.push(v)
        } else exposures.set(blob.path, { path: blob.path, first: commit, last: commit, commits: 1, via })
      }
    }
    return [...exposures.values()].sort((a, b) => a.path.localeCompare(b.path))
  } finally {
    objects.close()
  }
}

export async function run({ values, positionals }: { values: { json?: boolean }; positionals: string[] }): Promise<number> {
  const who = positionals.join(' ')
  const root = repoPaths().top
  if (!root) throw bareRepositoryError()
  const exposures = await audit(root, who)
  const checklist = [
    `removing ${who} from ${CONFIG_FILE} does not revoke history: every version they could read stays readable to them`,
    ...exposures.map((e) => `rotate the values in ${e.path} (readable from ${e.first.slice(0, 12)} to ${e.last.slice(0, 12)})`),
    "then 'git-seal rekey' and commit, so new versions are encrypted without them",
  ]
  if (values.json) printResult(JSON.stringify({ recipient: who, paths: exposures, checklist }, null, 2))
  else {
    const lines = exposures.map((e) => `${e.path}\t${e.first.slice(0, 12)}..${e.last.slice(0, 12)}\t${e.commits} commit(s)\tvia ${e.via.join(', ')}`)
    printResult([...(lines.length ? lines : [`${who} could not decrypt any secret in this history`]), '', 'rotation checklist:', ...checklist.map((c) => `  - ${c}`)].join('\n'))
  }
  return 0
}
