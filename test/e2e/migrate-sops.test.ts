// Migrating from sops end to end: init --from-sops on real repositories (files sops wrote, the
// sops-nix README's form, the usual NixOS layout, every form of creation_rules, refusals),
// init in a Nix flake, and a generated .sops.yaml kept in step with .gitseal.yaml.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { BUNDLE, ROOT, Repo, type Key, expectNoLeak, newHome, newKey, tempDir } from '../helpers/repo.js'

const MARKER = 'plaintext-marker-77c2'
const SOPS = join(ROOT, 'test', 'fixtures', 'sops')
const HUMPHD_KEY = readFileSync(join(SOPS, 'humphd', 'key.txt'), 'utf8')
const HUMPHD: Key = {
  identity: HUMPHD_KEY.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-'))!,
  recipient: /public key: (age1\S+)/.exec(HUMPHD_KEY)![1]!,
}
/** The other two age recipients of the humphd files (sops wrote them for three). */
const HUMPHD_OTHERS = [
  ...readFileSync(join(SOPS, 'humphd', 'secret.enc.yaml'), 'utf8').matchAll(/recipient: (age1\S+)/g),
]
  .map((m) => m[1]!)
  .filter((k) => k !== HUMPHD.recipient)
/** The PGP key of sops's functional tests, which the getsops fixtures are encrypted to. */
const SOPS_TEST_PGP = 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4'

function repoWith(key: Key, files: Record<string, string | Buffer>): Repo {
  const home = newHome()
  home.installKey(key)
  const repo = Repo.init(home)
  for (const [path, content] of Object.entries(files)) repo.write(path, content)
  repo.git('add', '-A')
  repo.git('commit', '-qm', 'before git-seal')
  return repo
}

/** The filter attribute git applies to each path (git-seal's drivers, or unspecified). */
function filters(repo: Repo, paths: string[]): Record<string, string> {
  const out = repo.git('check-attr', '-z', 'filter', '--', ...paths).split('\0')
  const result: Record<string, string> = {}
  for (let i = 0; i + 2 < out.length; i += 3) result[out[i]!] = out[i + 2]!
  return result
}

const isSealed = (value: string | undefined): boolean => value !== undefined && /^git-seal(-ct)?$/.test(value)

/** The age recipients a stored sops blob records. */
function recipientsOf(blob: Buffer): string[] {
  return [...new Set([...blob.toString().matchAll(/age1[02-9ac-hj-np-z]{58}/g)].map((m) => m[0]))].sort()
}

function script(body: string): string {
  const file = join(tempDir('git-seal-editor-'), 'editor.sh')
  writeFileSync(file, `#!/bin/sh\n${body}\n`)
  chmodSync(file, 0o755)
  return file
}

describe('init --from-sops', () => {
  it("the sops-nix README's form (pgp and age in one key group): refused naming each pgp key; with --drop-non-age imported, and the files sops wrote stay byte for byte", () => {
    const sopsYaml = [
      'keys:',
      `  - &admin_alice ${SOPS_TEST_PGP}`,
      `  - &admin_bob ${HUMPHD.recipient}`,
      `  - &server_nosaxa ${HUMPHD_OTHERS[0]}`,
      `  - &server_azmidi ${HUMPHD_OTHERS[1]}`,
      'creation_rules:',
      '  - path_regex: secrets/[^/]+\\.(yaml|json|env|ini)$',
      '    key_groups:',
      '    - pgp:',
      '      - *admin_alice',
      '      age:',
      '      - *admin_bob',
      '      - *server_nosaxa',
      '      - *server_azmidi',
      '  - path_regex: secrets/legacy/[^/]+\\.yaml$',
      '    key_groups:',
      '    - pgp:',
      '      - *admin_alice',
      '      age:',
      '      - *admin_bob',
      '',
    ].join('\n')
    const sopsWritten: Record<string, Buffer> = {
      'secrets/app.yaml': readFileSync(join(SOPS, 'humphd', 'secret.enc.yaml')),
      'secrets/app.json': readFileSync(join(SOPS, 'humphd', 'secret.enc.json')),
      'secrets/app.env': readFileSync(join(SOPS, 'humphd', 'secret.enc.env')),
      'secrets/legacy/old.yaml': readFileSync(join(SOPS, 'getsops', 'example.yaml')),
    }
    const repo = repoWith(HUMPHD, { '.sops.yaml': sopsYaml, 'README.md': '# hosts\n', ...sopsWritten })
    const before = Object.fromEntries(Object.keys(sopsWritten).map((p) => [p, repo.blobId(`HEAD:${p}`)]))

    const refused = repo.seal('init', '--from-sops')
    expect(refused.status).toBe(1)
    expect(refused.stderr).toContain(
      "rule 1 (path_regex 'secrets/[^/]+\\.(yaml|json|env|ini)$'): names keys git-seal cannot encrypt to: pgp admin_alice (FBC7B9E2A4F9289AC0C1D484…)",
    )
    expect(refused.stderr).toContain(
      "rule 2 (path_regex 'secrets/legacy/[^/]+\\.yaml$'): names keys git-seal cannot encrypt to: pgp admin_alice",
    )
    expect(refused.stderr).toContain('--drop-non-age')
    expect(existsSync(join(repo.dir, '.gitseal.yaml'))).toBe(false)
    expect(existsSync(join(repo.dir, '.gitattributes'))).toBe(false)

    const init = repo.seal('init', '--from-sops', '--drop-non-age')
    expect(init.status, init.stderr).toBe(0)
    expect(init.stderr).toContain('group default: admins admin_bob; targets server_nosaxa, server_azmidi')
    expect(init.stderr).toContain(
      'secret secrets (rule 1): **/*secrets/?*.yaml **/*secrets/?*.json **/*secrets/?*.env **/*secrets/?*.ini -> admin_bob, server_nosaxa, server_azmidi',
    )
    expect(init.stderr).toContain('secret secrets-legacy (rule 2): **/*secrets/legacy/?*.yaml -> admin_bob')
    expect(init.stderr).toMatch(/rule 1 \(secret secrets\): pgp admin_alice \(FBC7B9E2A4F9289AC0C1D484…\) lose access/)
    expect(init.stderr).toContain('worktree: ciphertext')
    const config = readFileSync(join(repo.dir, '.gitseal.yaml'), 'utf8')
    expect(config).not.toContain('TODO')
    expect(readFileSync(join(repo.dir, '.gitattributes'), 'utf8')).not.toContain('TODO')
    const attrs = filters(repo, [...Object.keys(sopsWritten), 'README.md', '.sops.yaml'])
    for (const p of Object.keys(sopsWritten)) expect(isSealed(attrs[p]), p).toBe(true)
    expect([attrs['README.md'], attrs['.sops.yaml']]).toEqual(['unspecified', 'unspecified'])

    // Nothing sops wrote changes: not in the work tree, not when staged again.
    expect(repo.status()).toBe('?? .gitattributes\n?? .gitseal.yaml\n')
    repo.git('add', '--renormalize', '.')
    repo.git('add', '.gitseal.yaml', '.gitattributes')
    expect(repo.git('diff', '--cached', '--name-only').split('\n').filter(Boolean).sort()).toEqual([
      '.gitattributes',
      '.gitseal.yaml',
    ])
    repo.git('commit', '-qm', 'git-seal from .sops.yaml') // the guard lets it through
    for (const [p, oid] of Object.entries(before)) expect(repo.blobId(`HEAD:${p}`), p).toBe(oid)
    const shown = repo.seal('show', 'secrets/app.yaml')
    expect(shown.status, shown.stderr).toBe(0)
    expect(shown.stdout).toContain('secret: this is a secret')
  })

  it("the usual NixOS layout: one group with the admins, hosts and users as targets; new secrets are encrypted to exactly their rule's keys", () => {
    const keys: Record<string, Key> = Object.fromEntries(
      ['ALICE', 'BOB', 'WEB', 'DB', 'CAROL'].map((n) => [n, newKey()]),
    )
    const sopsYaml = readFileSync(
      join(ROOT, 'test', 'fixtures', 'sops-yaml', 'nixos-layout.sops.yaml'),
      'utf8',
    ).replace(/AGE_([A-Z]+)/g, (_m, n: string) => keys[n]!.recipient)
    const repo = repoWith(keys.ALICE!, {
      '.sops.yaml': sopsYaml,
      'flake.nix': '{ outputs = { self }: { }; }\n',
      'hosts/web.nix': '{ }\n',
    })
    const init = repo.seal('init', '--from-sops')
    expect(init.status, init.stderr).toBe(0)
    expect(init.stderr).toContain('group default: admins alice, bob; targets web, db, carol')
    const runtime = tempDir('git-seal-runtime-')
    const edit = (path: string, content: string): void => {
      const r = repo.run(process.execPath, [BUNDLE, 'edit', path], {
        env: { ...repo.env, XDG_RUNTIME_DIR: runtime, GIT_EDITOR: script(`printf '%s' '${content}' > "$1"`) },
      })
      expect(r.status, r.stderr).toBe(0)
    }
    edit('secrets/common/shared.env', `TOKEN=${MARKER}\n`)
    edit('secrets/web/tls.key', `${MARKER} key\n`)
    edit('secrets/db/password.yaml', `password: ${MARKER}\n`)
    edit('secrets/users/carol/ssh.key', `${MARKER} carol\n`)
    repo.git('add', '-A')
    const expected: Record<string, string[]> = {
      'secrets/common/shared.env': ['ALICE', 'BOB', 'WEB', 'DB'],
      'secrets/web/tls.key': ['ALICE', 'BOB', 'WEB'],
      'secrets/db/password.yaml': ['ALICE', 'BOB', 'DB'],
      'secrets/users/carol/ssh.key': ['ALICE', 'BOB', 'CAROL', 'WEB'],
    }
    for (const [path, names] of Object.entries(expected))
      expect(recipientsOf(repo.blob(`:${path}`)), path).toEqual(names.map((n) => keys[n]!.recipient).sort())
    // Not YAML/JSON/dotenv/INI: sops's binary store, what sops-nix reads with format = "binary".
    expect(Object.keys(JSON.parse(repo.blob(':secrets/web/tls.key').toString()) as object).sort()).toEqual([
      'data',
      'sops',
    ])
    // Covered exactly where a rule matched, nowhere else.
    const sample = [
      'secrets/common/a.yaml',
      'secrets/common/a.txt',
      'secrets/web/x',
      'secrets/web/sub/x',
      'secrets/db/y',
      'secrets/users/carol/a/b',
      'secrets/users/dave/x',
      'hosts/web.nix',
      'flake.nix',
    ]
    const rules = (parse(sopsYaml) as { creation_rules: { path_regex: string }[] }).creation_rules.map(
      (r) => new RegExp(r.path_regex, 'u'),
    )
    const attrs = filters(repo, sample)
    for (const p of sample) expect(isSealed(attrs[p]), p).toBe(rules.some((r) => r.test(p)))
    repo.git('commit', '-qm', 'secrets')
    expectNoLeak(repo, MARKER)
  })

  it.each([
    [
      'age as a comma-separated string',
      (a: string, b: string) => `creation_rules:\n  - path_regex: ^secrets/\n    age: "${a},${b}"\n`,
    ],
    [
      'age as a list',
      (a: string, b: string) => `creation_rules:\n  - path_regex: ^secrets/\n    age:\n      - ${a}\n      - ${b}\n`,
    ],
    [
      'one key group',
      (a: string, b: string) =>
        `creation_rules:\n  - path_regex: ^secrets/\n    key_groups:\n      - age: [${a}, ${b}]\n`,
    ],
    [
      'one key group with merge',
      (a: string, b: string) =>
        `creation_rules:\n  - path_regex: ^secrets/\n    key_groups:\n      - age: [${a}]\n        merge:\n          - age: [${b}]\n`,
    ],
  ])('%s', (_form, sopsYaml) => {
    const [a, b] = [newKey(), newKey()]
    const repo = repoWith(a, { '.sops.yaml': sopsYaml(a.recipient, b.recipient) })
    const init = repo.seal('init', '--from-sops')
    expect(init.status, init.stderr).toBe(0)
    repo.write('secrets/app.yaml', `k: ${MARKER}\n`)
    repo.git('add', '-A')
    expect(recipientsOf(repo.blob(':secrets/app.yaml'))).toEqual([a.recipient, b.recipient].sort())
    expectNoLeak(repo, MARKER)
  })

  it('refuses, writing nothing: a regex no pattern can say, rules that overlap with other keys, a rule broader than the secrets it was used for', () => {
    const [a, b] = [newKey(), newKey()]
    const cases: [string, Record<string, string>, string][] = [
      [
        `creation_rules:\n  - {path_regex: '^secrets/v[0-9]+/', age: ${a.recipient}}\n`,
        {},
        `rule 1 (path_regex '^secrets/v[0-9]+/'): cannot be written as gitattributes patterns: '[0-9]+'`,
      ],
      [
        `creation_rules:\n  - {path_regex: '^secrets/prod/', age: ${a.recipient}}\n  - {path_regex: '^secrets/', age: "${a.recipient},${b.recipient}"}\n`,
        {},
        'rules 1 and 2 both match secrets/prod/x (and more like it)',
      ],
      [
        `creation_rules:\n  - {path_regex: '\\.yaml$', age: ${a.recipient}}\n`,
        { '.github/workflows/ci.yaml': 'on: push\n' },
        'these tracked files match a creation rule but are not sops files, and git-seal would encrypt them: .github/workflows/ci.yaml',
      ],
    ]
    for (const [sopsYaml, files, message] of cases) {
      const repo = repoWith(a, { '.sops.yaml': sopsYaml, ...files })
      const r = repo.seal('init', '--from-sops')
      expect(r.status).toBe(1)
      expect(r.stderr).toContain(message)
      expect(existsSync(join(repo.dir, '.gitseal.yaml'))).toBe(false)
      expect(existsSync(join(repo.dir, '.gitattributes'))).toBe(false)
    }
  })
})

describe('init in a Nix flake', () => {
  const FLAKE_SOPS_NIX = `{\n  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";\n  inputs.sops-nix.url = "github:Mic92/sops-nix";\n  outputs = { self, nixpkgs, sops-nix }: { };\n}\n`
  const LOCK_AGENIX = JSON.stringify({
    nodes: { root: { inputs: { agenix: 'agenix', nixpkgs: 'nixpkgs' } }, agenix: {}, nixpkgs: {} },
    root: 'root',
    version: 7,
  })

  it.each([
    ['sops-nix in flake.nix', { 'flake.nix': FLAKE_SOPS_NIX }, 'sops'],
    [
      'agenix in flake.lock',
      { 'flake.nix': '{ outputs = { self, agenix }: { }; }\n', 'flake.lock': LOCK_AGENIX },
      'age',
    ],
    ['no secrets tool', { 'flake.nix': '{ outputs = { self }: { }; }\n' }, null],
  ])('%s: worktree: ciphertext, and the format that tool reads', (_what, files, format) => {
    const key = newKey()
    const repo = repoWith(key, files as Record<string, string>)
    const r = repo.seal('init')
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toContain(
      'secrets keep their ciphertext in the work tree (worktree: ciphertext): this is a Nix flake',
    )
    const config = parse(readFileSync(join(repo.dir, '.gitseal.yaml'), 'utf8')) as {
      version: number
      groups: { default: { secrets: { secrets: Record<string, string> } } }
    }
    expect(config.version).toBe(2)
    expect(config.groups.default.secrets.secrets.worktree).toBe('ciphertext')
    expect(config.groups.default.secrets.secrets.format).toBe(format ?? undefined)
    if (format === 'sops') {
      repo.write('secrets/host.txt', `${MARKER}\n`)
      repo.git('add', 'secrets/host.txt')
      expect(Object.keys(JSON.parse(repo.blob(':secrets/host.txt').toString()) as object).sort()).toEqual([
        'data',
        'sops',
      ])
      expectNoLeak(repo, MARKER)
    }
  })

  it('outside a flake: no worktree key, format auto (version 2, for people and exclude)', () => {
    const repo = repoWith(newKey(), { 'README.md': '# x\n' })
    expect(repo.seal('init').status).toBe(0)
    const text = readFileSync(join(repo.dir, '.gitseal.yaml'), 'utf8')
    expect(text).toMatch(/^version: 2$/m)
    expect(text).not.toContain('worktree')
    expect(text).toContain('# format: auto')
  })
})

describe('sops-config: a generated .sops.yaml kept in step', () => {
  function sealed(): { repo: Repo; key: Key } {
    const key = newKey()
    const repo = repoWith(key, { 'README.md': '# x\n' })
    repo.write(
      '.gitseal.yaml',
      `version: 1\ngroups:\n  dev:\n    recipients:\n      admins:\n        - name: alice\n          key: ${key.recipient}\n    secrets:\n      app:\n        path: "secrets/**"\n`,
    )
    expect(repo.seal('sync').status).toBe(0)
    expect(repo.seal('install').status).toBe(0)
    repo.write('secrets/a.yaml', `a: ${MARKER}\n`)
    repo.git('add', '-A')
    repo.git('commit', '-qm', 'sealed')
    return { repo, key }
  }
  const sopsYaml = (repo: Repo): string => readFileSync(join(repo.dir, '.sops.yaml'), 'utf8')

  it('is rewritten by add-recipient, remove-recipient and rekey; status and the guard flag a stale one', () => {
    const { repo } = sealed()
    expect(repo.seal('sops-config').status).toBe(0)
    repo.git('add', '.sops.yaml')
    repo.git('commit', '-qm', 'sops config')
    const bob = newKey().recipient
    const add = repo.seal('add-recipient', 'bob', bob, '--group', 'dev', '--admin')
    expect(add.status, add.stderr).toBe(0)
    expect(add.stderr).toContain('updated .sops.yaml')
    expect(sopsYaml(repo)).toContain(bob)
    expect(repo.seal('remove-recipient', 'bob').status).toBe(0)
    expect(sopsYaml(repo)).not.toContain(bob)
    // .gitseal.yaml edited by hand: .sops.yaml is now stale
    const carol = newKey().recipient
    const config = readFileSync(join(repo.dir, '.gitseal.yaml'), 'utf8').replace(
      '    secrets:',
      `        - name: carol\n          key: ${carol}\n    secrets:`,
    )
    repo.write('.gitseal.yaml', config)
    const status = repo.seal('status')
    expect(status.status).toBe(1)
    expect(status.stdout).toContain(
      ".sops.yaml was generated from another .gitseal.yaml (sops edit would encrypt to other recipients): run 'git-seal sops-config'",
    )
    repo.git('add', '.gitseal.yaml', '.sops.yaml')
    const guard = repo.seal('guard')
    expect(guard.status).toBe(1)
    expect(guard.stderr).toContain('the staged .sops.yaml was generated from another .gitseal.yaml')
    const rekey = repo.seal('rekey')
    expect(rekey.status, rekey.stderr).toBe(0)
    expect(sopsYaml(repo)).toContain(carol)
    repo.git('add', '.sops.yaml')
    expect(repo.seal('guard').status).toBe(0)
    expectNoLeak(repo, MARKER)
  })

  it('a hand-written .sops.yaml is never overwritten without --force, and never flagged', () => {
    const { repo } = sealed()
    const hand = 'creation_rules:\n  - path_regex: ^secrets/\n    age: age1handwritten\n'
    repo.write('.sops.yaml', hand)
    const r = repo.seal('sops-config')
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('.sops.yaml was written by hand')
    expect(sopsYaml(repo)).toBe(hand)
    expect(repo.seal('add-recipient', 'bob', newKey().recipient, '--group', 'dev', '--target').status).toBe(0)
    expect(sopsYaml(repo)).toBe(hand)
    expect(repo.seal('status').stdout).not.toContain('.sops.yaml')
    expect(repo.seal('sops-config', '--force').status).toBe(0)
    expect(sopsYaml(repo)).toContain('# Generated from .gitseal.yaml by `git-seal sops-config`')
  })
})
