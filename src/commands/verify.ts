/**
 * `git-seal verify [REV-RANGE] [--all]` and `git-seal verify --pre-receive`: the guarantee that
 * does not depend on hooks (not cloned, skipped by --no-verify). Walks commits and checks that
 * every secret blob they add is ciphertext; exits 1 naming commit and path for each one that is
 * not. Needs no key.
 *
 * A path is a secret when the config of its own commit says so, or when the reference config
 * (HEAD's, or for pre-receive the branch being updated) does: deleting the rule in the same
 * push does not let a plaintext secret through.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { CONFIG_FILE, findSecret, parseConfig, type SealConfig, type SecretRule } from '../config/index.js'
import { sopsRecipient } from '../seal/sops.js'
import { sopsMetadata } from '../seal/stored.js'
import { CatFileBatch } from '../git/objects.js'
import { GITLINK_MODE, SYMLINK_MODE, logRaw, lsTree } from '../git/plumbing.js'
import { gitBytes, gitMaybe } from '../git/run.js'
import { findPlaintext, isSecretPath, type BlobToCheck } from '../seal/check.js'
import { UserError, error, info, printHint, warning } from '../ui.js'

const ZERO = /^0+$/

/** Blobs each commit adds or modifies (merges against each parent), symlinks and submodules aside. */
function changesIn(revArgs: string[], cwd: string): { commit: string; blobs: { path: string; oid: string }[] }[] {
  return logRaw(cwd, revArgs, { diffFilter: 'ACMRT' }).map((c) => ({
    commit: c.commit,
    blobs: c.changes.filter((x) => x.dstMode !== GITLINK_MODE && x.dstMode !== SYMLINK_MODE).map((x) => ({ path: x.path, oid: x.dstOid })),
  }))
}

/** Configs by blob id of .gitseal.yaml, parsed once each; an invalid one counts as none. */
class ConfigCache {
  private byOid = new Map<string, SealConfig | null>()
  constructor(private readonly cwd: string) {}
  at(rev: string): SealConfig | null {
    const oid = gitMaybe(['rev-parse', '-q', '--verify', `${rev}:${CONFIG_FILE}`], { cwd: this.cwd })
    if (!oid) return null
    if (!this.byOid.has(oid)) {
      let config: SealConfig | null = null
      try {
        config = parseConfig(gitBytes(['cat-file', 'blob', oid], { cwd: this.cwd }).toString('utf8'), `${rev}:${CONFIG_FILE}`)
      } catch (e) {
        warning(`${rev.slice(0, 12)}:${CONFIG_FILE} is invalid (${(e as Error).message.split('\n')[0]}); using the reference config there`)
      }
      this.byOid.set(oid, config)
    }
    return this.byOid.get(oid) ?? null
  }
}

async function check(cwd: string, revArgs: string[], reference: (SealConfig | null)[]): Promise<number> {
  const configs = new ConfigCache(cwd)
  const objects = new CatFileBatch(cwd)
  const checked = new Map<string, boolean>()
  let findings = 0
  let commits = 0
  try {
    for (const change of changesIn(revArgs, cwd)) {
      commits++
      const own = configs.at(change.commit)
      const candidates: BlobToCheck[] = change.blobs.filter((b) => [own, ...reference].some((c) => c !== null && isSecretPath(c, b.path)))
      for (const f of await findPlaintext(objects, candidates, checked)) {
        error(`commit ${change.commit.slice(0, 12)}: ${f.path} holds a secret in plaintext (blob ${f.oid.slice(0, 12)})`)
        findings++
      }
    }
  } finally {
    objects.close()
  }
  if (findings > 0) {
    printHint('a plaintext secret in history is exposed to everyone with the repository: rotate it, then rewrite history (git filter-repo) if you must')
    return 1
  }
  info(`verified ${commits} commit(s): no secret stored in plaintext`)
  return 0
}

/** Reads `old new ref` lines (a pre-receive hook's stdin) and checks every commit each push adds. */
async function preReceive(cwd: string, input: string): Promise<number> {
  let status = 0
  for (const line of input.split('\n')) {
    const [oldRev, newRev, ref] = line.trim().split(' ')
    if (!oldRev || !newRev || !ref || ZERO.test(newRev)) continue
    const configs = new ConfigCache(cwd)
    const reference = ZERO.test(oldRev) ? [] : [configs.at(oldRev)]
    // New commits only: reachable from the pushed tip and from no existing ref.
    const range = ZERO.test(oldRev) ? [newRev, '--not', '--all'] : [newRev, `^${oldRev}`, '--not', '--all']
    if ((await check(cwd, range, reference)) !== 0) {
      error(`push to ${ref} rejected`)
      status = 1
    }
  }
  return status
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { all: { type: 'boolean' }, 'pre-receive': { type: 'boolean' } } })
  const cwd = process.cwd()
  if (values['pre-receive']) return preReceive(cwd, readFileSync(0, 'utf8'))
  if (positionals.length > 1) throw new UserError('usage: git-seal verify [REV-RANGE] [--all]')
  const configs = new ConfigCache(cwd)
  const head = gitMaybe(['rev-parse', '-q', '--verify', 'HEAD'], { cwd })
  if (!head && !values.all && positionals.length === 0) {
    info('no commits yet: nothing to verify')
    return 0
  }
  const reference = head ? [configs.at('HEAD')] : []
  if (values.all) return check(cwd, ['--all'], reference)
  if (positionals[0]) return check(cwd, [positionals[0]], reference)
  // Default: every secret path in HEAD as it stands.
  return checkTree(cwd, reference[0] ?? null)
}

async function checkTree(cwd: string, config: SealConfig | null): Promise<number> {
  const blobs: BlobToCheck[] = (lsTree(cwd, 'HEAD') ?? [])
    .filter((e) => e.type === 'blob' && e.mode !== SYMLINK_MODE && isSecretPath(config, e.path))
    .map((e) => ({ path: e.path, oid: e.oid }))
  const objects = new CatFileBatch(cwd)
  try {
    // Reported, not rejected: a sops file encrypted to recipients the config does not name.
    for (const b of blobs) {
      const rule = config ? findSecretQuietly(config, b.path) : null
      const object = rule ? await objects.get(b.oid) : null
      const recorded = object ? sopsMetadata(b.path, object.content)?.age.map((e) => e.recipient) : undefined
      if (!rule || !recorded) continue
      const configured = new Set(rule.recipients.map((r) => sopsRecipient(r.key)))
      const extra = recorded.filter((k) => !configured.has(k))
      const missing = [...configured].filter((k) => !recorded.includes(k))
      if (extra.length || missing.length) {
        warning(`HEAD: ${b.path} is encrypted to ${extra.length} recipient(s) the config does not name and misses ${missing.length} it does`, "run 'git-seal rekey' (and ask who added the extra ones)")
      }
    }
    const findings = await findPlaintext(objects, blobs)
    for (const f of findings) error(`HEAD: ${f.path} holds a secret in plaintext`)
    if (findings.length > 0) {
      printHint("run 'git-seal install' and 'git add' them again, then commit; rotate them: the plaintext stays in history ('git-seal verify --all' lists where)")
      return 1
    }
  } finally {
    objects.close()
  }
  info(`verified ${blobs.length} secret file(s) in HEAD: all encrypted`)
  return 0
}

function findSecretQuietly(config: SealConfig, path: string): SecretRule | null {
  try {
    return findSecret(config, path)
  } catch {
    return null
  }
}
