/**
 * Files that are never secrets, whatever a pattern says (`path: "**"` included): git, sops or
 * git-seal itself reads them in plaintext, often straight from the index or a tree, where the
 * smudge filter never runs. Encrypting one would break the repository for everyone.
 *
 * - `.gitattributes` and `.gitignore`: git reads one in every directory.
 * - `.sops.yaml`: sops looks for it in the current directory and each parent.
 * - `.gitmodules`, `.mailmap`: git reads them at the top only.
 * - `.gitseal.yaml`: git-seal reads it at the top only.
 */
/** Names never encrypted in any directory. */
const AT_ANY_DEPTH = ['.gitattributes', '.gitignore', '.sops.yaml'] as const
/** Names never encrypted at the top of the work tree. */
// '.gitseal.yaml' is CONFIG_FILE, spelled out: schema.ts validates patterns with this module.
const AT_TOP = ['.gitseal.yaml', '.gitmodules', '.mailmap'] as const

/** True when git-seal must never encrypt this repo-relative path ('/' separated). */
export function isNeverSecret(path: string): boolean {
  const name = path.slice(path.lastIndexOf('/') + 1)
  return (AT_ANY_DEPTH as readonly string[]).includes(name) || (AT_TOP as readonly string[]).includes(path)
}

/**
 * gitattributes patterns for {@link isNeverSecret}, in git's own syntax: a name without '/'
 * matches in every directory, a leading '/' anchors it at the top.
 */
export const NEVER_SECRET_PATTERNS: readonly string[] = [...AT_TOP.map((name) => `/${name}`), ...AT_ANY_DEPTH]

/**
 * Why a secret pattern is refused because it names files git-seal never encrypts, or null:
 * its last component is one of their names, spelled out (in any directory for `.gitignore`,
 * `.gitattributes` and `.sops.yaml`; as NAME or /NAME, or after a leading `**` component, for the top-only ones).
 * Broader patterns (`**`, `*.yaml`, `.git*`) are fine: those files are left out of them.
 */
export function neverSecretProblem(pattern: string): string | null {
  const name = pattern.slice(pattern.lastIndexOf('/') + 1)
  if ((AT_ANY_DEPTH as readonly string[]).includes(name))
    return `${name} is never encrypted, in any directory (git or sops reads it in plaintext); remove this pattern`
  const top = pattern.replace(/^(\*\*\/|\/)/, '')
  if ((AT_TOP as readonly string[]).includes(top))
    return `${name} at the top of the repository is never encrypted (git or git-seal reads it in plaintext); remove this pattern`
  return null
}
