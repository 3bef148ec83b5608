/**
 * `verify --format sarif`: findings as a SARIF 2.1.0 log, so code review tools (GitHub code
 * scanning, GitLab, Gitea/Forgejo plugins) show them on the files they name. One rule per kind
 * of finding; a result per finding, located at its path (and line, for credentials) when it has
 * one. Messages are the same as the text output: paths, commits and kinds, never values.
 * https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html
 */
import type { Finding, RecipientMismatch } from '../../operations/verify.js'
import type { CredentialFinding, ScanResult } from '../../operations/scan.js'

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json'

/** The rules, one per kind of finding; ids are stable (tools key suppressions on them). */
export const SARIF_RULES = {
  'plaintext-secret': {
    name: 'PlaintextSecret',
    text: 'A file a secret rule covers is stored in plaintext',
    help: "Rotate the secret: it is readable by everyone with the repository. Then 'git-seal install' and 'git add' the file again.",
  },
  'plaintext-blob-ref': {
    name: 'PlaintextBlobRef',
    text: 'A ref points at a blob that is no ciphertext',
    help: 'Tag a commit instead of a blob.',
  },
  'config-missing-or-invalid': {
    name: 'ConfigMissingOrInvalid',
    text: '.gitseal.yaml was deleted or broken after git-seal was adopted',
    help: 'Restore a valid .gitseal.yaml in a new commit.',
  },
  'attributes-rewrite-ciphertext': {
    name: 'AttributesRewriteCiphertext',
    text: "git's attributes rewrite a secret's ciphertext (text/eol, ident, working-tree-encoding)",
    help: "Remove those attributes for secret paths; 'git-seal sync' keeps the git-seal block last.",
  },
  'textconv-cache': {
    name: 'TextconvCache',
    text: "git's cache of decrypted diffs is in a ref",
    help: 'Delete refs/notes/textconv/git-seal and unset diff.git-seal.cachetextconv.',
  },
  'credential-outside-rules': {
    name: 'CredentialOutsideRules',
    text: 'A file no secret rule covers looks like it holds a credential',
    help: "Add a secret rule covering it to .gitseal.yaml and run 'git-seal sync', or take the credential out.",
  },
  'plaintext-worktree': {
    name: 'PlaintextWorktreeCopy',
    text: 'A worktree: ciphertext secret holds plaintext in the work tree',
    help: "Run 'git-seal edit PATH' (it puts ciphertext back) before anything copies the work tree (nix build).",
  },
  'recipient-mismatch': {
    name: 'RecipientMismatch',
    text: "A sops file is encrypted to recipients other than its rule's",
    help: "Run 'git-seal rekey' (and ask who added the extra ones).",
  },
} as const

export type SarifRuleId = keyof typeof SARIF_RULES

const FINDING_RULE: Record<Finding['kind'], SarifRuleId> = {
  plaintext: 'plaintext-secret',
  'plaintext-in-tree': 'plaintext-secret',
  'plaintext-blob-ref': 'plaintext-blob-ref',
  config: 'config-missing-or-invalid',
  attributes: 'attributes-rewrite-ciphertext',
  'textconv-notes': 'textconv-cache',
  'plaintext-worktree': 'plaintext-worktree',
}

interface SarifResult {
  ruleId: SarifRuleId
  ruleIndex: number
  level: 'error' | 'warning' | 'note'
  message: { text: string }
  locations?: {
    physicalLocation: { artifactLocation: { uri: string; uriBaseId: string }; region?: { startLine: number } }
  }[]
  partialFingerprints?: Record<string, string>
  properties?: Record<string, string>
}

/** A repo-relative path as a URI reference (each segment percent-encoded). */
function uriOf(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/')
}

function located(path: string, line?: number): Pick<SarifResult, 'locations'> {
  return {
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: uriOf(path), uriBaseId: '%SRCROOT%' },
          ...(line ? { region: { startLine: line } } : {}),
        },
      },
    ],
  }
}

/** Collects verify's findings and renders them as one SARIF log. */
export class SarifLog {
  private readonly results: SarifResult[] = []
  private readonly ruleIds = Object.keys(SARIF_RULES) as SarifRuleId[]

  private add(ruleId: SarifRuleId, level: SarifResult['level'], text: string, extra: Partial<SarifResult>): void {
    this.results.push({ ruleId, ruleIndex: this.ruleIds.indexOf(ruleId), level, message: { text }, ...extra })
  }

  /** A policy finding, with the text the terminal shows for it. */
  finding(f: Finding, text: string): void {
    const rule = FINDING_RULE[f.kind]
    const properties: Record<string, string> = {}
    if ('commit' in f) properties['commit'] = f.commit
    if ('ref' in f) properties['ref'] = f.ref
    if ('oid' in f) properties['blob'] = f.oid
    const path = 'path' in f ? f.path : null
    this.add(rule, 'error', text, {
      ...(path !== null ? located(path) : {}),
      properties,
      ...('oid' in f ? { partialFingerprints: { 'gitSealBlob/v1': f.oid } } : {}),
    })
  }

  mismatch(m: RecipientMismatch, text: string): void {
    this.add('recipient-mismatch', 'warning', text, located(m.path))
  }

  /**
   * Credentials: errors with `scan: refuse`, warnings with `warn`; `text` is the line the
   * terminal shows for a finding, `detector` what found it (scan-report.ts).
   */
  credentials(
    scan: ScanResult,
    text: (f: CredentialFinding) => string,
    detector: (f: CredentialFinding) => string,
  ): void {
    for (const f of scan.findings) {
      this.add('credential-outside-rules', scan.mode === 'refuse' ? 'error' : 'warning', `${text(f)}`, {
        ...located(f.path, f.hits[0]?.line),
        partialFingerprints: { 'gitSealBlob/v1': f.oid },
        properties: { detector: detector(f), ...(f.commit ? { commit: f.commit } : {}) },
      })
    }
  }

  get count(): number {
    return this.results.length
  }

  render(version: string): string {
    const log = {
      $schema: SARIF_SCHEMA,
      version: '2.1.0',
      runs: [
        {
          tool: {
            driver: {
              name: 'git-seal',
              version,
              informationUri: 'https://github.com/git-seal/git-seal',
              rules: this.ruleIds.map((id) => ({
                id,
                name: SARIF_RULES[id].name,
                shortDescription: { text: SARIF_RULES[id].text },
                help: { text: SARIF_RULES[id].help },
                defaultConfiguration: { level: id === 'recipient-mismatch' ? 'warning' : 'error' },
              })),
            },
          },
          originalUriBaseIds: { '%SRCROOT%': { uri: './' } },
          results: this.results,
        },
      ],
    }
    return JSON.stringify(log, null, 2)
  }
}
