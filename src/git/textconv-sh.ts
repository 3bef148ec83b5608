/**
 * The textconv driver in POSIX sh: git starts textconv once per file side of every `git diff`
 * and `git log -p`, and a Node start costs 10-15 times what sh, grep and cat cost together.
 *
 * git smudges each blob before textconv sees it (`prep_temp_blob` in git's diff.c), so in a
 * clone with a key the file is already plaintext: sh prints it unless its bytes carry one of
 * {@link CIPHERTEXT_MARKERS} anywhere, and only then starts the Node textconv (ciphertext in a
 * locked clone, without a key, or of a `worktree: ciphertext` secret). The Node textconv prints
 * any file it does not take for ciphertext unchanged, so where sh answers, Node would have
 * answered the same bytes. That holds as long as this check is at least as broad as the Node
 * one (`mightBeCiphertext` in src/commands/textconv.ts): test/git/textconv-sh.test.ts holds the
 * two together on random inputs.
 *
 * Safe fallback: anything but grep's definite "no match" (exit 1) goes to Node: a match, a
 * missing grep (a GUI client's bare PATH: 127), an unreadable file or a grep error (2).
 */

/**
 * Byte strings whose presence anywhere in a file sends it to the Node textconv. Each one is a
 * prefix of what the Node check looks for: the age header's first line (binary age), the
 * armor's first line (it may follow whitespace), and a sops value (sops documents of every
 * store). ASCII only, no newline, so grep finds them whatever it takes for a line.
 */
export const AGE_MARKER = 'age-encryption.org/'
export const ARMOR_MARKER = '-----BEGIN AGE ENCRYPTED FILE-----'
export const SOPS_MARKER = 'ENC[AES256_GCM,'
export const CIPHERTEXT_MARKERS = [AGE_MARKER, ARMOR_MARKER, SOPS_MARKER] as const

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`
}

/**
 * A sh command that exits 1 exactly when the file `$1` carries none of the markers.
 * `LC_ALL=C`: bytes, not characters, so invalid UTF-8 cannot make grep skip a part of the file.
 * `-F`: fixed strings (`[` is not a bracket expression).
 */
export const MARKER_CHECK = `LC_ALL=C grep -q -F ${CIPHERTEXT_MARKERS.map((m) => `-e ${shellQuote(m)}`).join(' ')} -- "$1"`

/**
 * The `diff.git-seal.textconv` command. git appends the file ("$@"), hence the shell function.
 * Plaintext is printed by cat; anything else goes to the launcher, found without starting
 * `git rev-parse` in a main worktree (git runs drivers at the top of the work tree), through
 * the common git dir in linked worktrees and submodules (`.git` is a file there). With no
 * launcher at all (the escape hatch after `.git/git-seal` was deleted) it prints the file as it
 * is, so `git diff` works.
 */
export function textconvCommand(): string {
  return (
    `tc() { if [ $# -eq 1 ]; then ${MARKER_CHECK}; [ $? -eq 1 ] && exec cat -- "$1"; fi; ` +
    'l=.git/git-seal/git-seal; [ -x "$l" ] || l="$(git rev-parse --git-common-dir)/git-seal/git-seal"; [ -x "$l" ] && exec "$l" textconv "$@"; exec cat -- "$@"; }; tc'
  )
}
