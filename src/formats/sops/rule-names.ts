/**
 * The encryption rules of a sops document, by the names sops gives them (in `.sops.yaml`
 * creation rules and in a document's `sops:` metadata) and by ours (SopsRules): the one table
 * that config validation, the `.sops.yaml` import, the generated `.sops.yaml` and the metadata
 * reader and writer share (docs/sops-format.md §3, §5).
 * The order is sops's own and the one messages list them in.
 */
export const SOPS_RULE_NAMES = {
  unencrypted_suffix: 'unencryptedSuffix',
  encrypted_suffix: 'encryptedSuffix',
  unencrypted_regex: 'unencryptedRegex',
  encrypted_regex: 'encryptedRegex',
  unencrypted_comment_regex: 'unencryptedCommentRegex',
  encrypted_comment_regex: 'encryptedCommentRegex',
  mac_only_encrypted: 'macOnlyEncrypted',
} as const

/** A rule's name in sops's files. */
export type SopsRuleName = keyof typeof SOPS_RULE_NAMES

/** Every rule, by its name in sops's files. */
export const SOPS_RULE_KEYS = Object.keys(SOPS_RULE_NAMES) as SopsRuleName[]

/**
 * The rules that choose what is encrypted (every rule but `mac_only_encrypted`, which chooses
 * what the MAC covers): at most one of them may be set. [name in sops's files, our name].
 */
export const SOPS_SELECTION_RULES = (
  Object.entries(SOPS_RULE_NAMES) as [SopsRuleName, (typeof SOPS_RULE_NAMES)[SopsRuleName]][]
).filter(
  (
    entry,
  ): entry is [
    Exclude<SopsRuleName, 'mac_only_encrypted'>,
    Exclude<(typeof SOPS_RULE_NAMES)[SopsRuleName], 'macOnlyEncrypted'>,
  ] => entry[0] !== 'mac_only_encrypted',
)
