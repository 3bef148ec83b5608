/**
 * The SOPS encrypted-file format (as sops 3.13 writes it: https://github.com/getsops/sops), for YAML, JSON, dotenv,
 * INI and binary files: what git-seal commits for a `format: sops` secret, readable by sops,
 * sops-nix and Flux, and what sops wrote, readable here. Values, MAC and metadata follow sops
 * 3.13 (canonical plaintext per type, 32-byte IVs, key path as additional data, `lastmodified`
 * quoted, sorted metadata, `version: 3.13.2`, no `time` type); the layout follows the user's file.
 * The data key is the caller's business: it wraps and unwraps it (age) and hands it in raw.
 * The format is described in docs/sops-format.md (§N references there).
 *
 * ## Round trip: `decryptSops(encryptSops(x))`
 * Byte for byte:
 * - YAML: block-context plain, single- and double-quoted scalars (double-quoted with the escapes
 *   YAML needs: `\"` `\\` `\n` `\t` `\r` `\0` `\a` `\b` `\v` `\f` `\e` `\N` `\L` `\P`, `\xXX` for
 *   other control characters), literal blocks `|` `|-` `|+` (indentation digit, blank lines), canonical
 *   numbers (`42`, `3.14`, floats as `sops -d` prints them), `true`/`false`, null in any spelling, empty strings, comments
 *   (head, inline, foot, nested, document), blank lines, key order, any indentation, compact or
 *   indented lists, several documents (`---`, `...`, directives), CRLF, a missing final newline,
 *   a BOM, `!!str` and custom tags, plain timestamps, flow collections of plain and double-quoted
 *   scalars, a flow mapping at the top (JSON written as YAML).
 * - JSON: the layout (indentation, spacing, key order, one line, CRLF, final newline), strings
 *   escaped as `JSON.stringify` escapes, integers within int64 (and unencrypted ones beyond),
 *   floats as `sops -d` prints them (`0.25`, `1e-7`).
 * - dotenv: every line (blank lines, `#` comments, `export`, quotes, `=` and literal `\n` in values,
 *   the CR of CRLF, which sops reads as part of the value), the final newline.
 * - INI: every line (`;`/`#` comments and blocks of them, inline comments, spacing around
 *   `=`/`:`, `"`, `'`, backtick and multi-line `"""` quoting), CRLF, final newline, BOM. Binary:
 *   every byte.
 *
 * Normalised once (reported through `onNotice`), then stable:
 * - YAML: folded `>` blocks become literal `|`; scalars spanning lines are joined; escapes not
 *   needed (`\u00e9`, `\x41`) become the character; `True`/`TRUE` become `true`; `0x1F`, `0755`,
 *   `0o17`, `1_000`, `+12` become decimal ints; floats are printed as `sops -d` prints them (Go's
 *   `'g'`: `1e3`, `1.0`, `1.50`, `.5`, `.Inf`, `1234567.0` become `1000`, `1`, `1.5`, `0.5`, `.inf`,
 *   `1.234567e+06`; re-encrypting an int where the previous version stored that float keeps the
 *   float ciphertext); encrypted integers beyond int64 become quoted strings, as do unencrypted
 *   ones in the uint64 range (sops cannot load them); an alias is replaced by its value
 *   (a ciphertext is bound to one key path; collections are written in flow style; the anchor
 *   stays); single-quoted scalars inside flow collections become plain where possible; `|+` with
 *   a single final newline becomes `|`; a block scalar ending the file gains a final newline.
 * - JSON: escapes `JSON.stringify` does not write (`\/`, `\u00e9`) become characters; `1e3`,
 *   `1.50`, `-0`, `1.0` become `1000`, `1.5`, `0`, `1`; encrypted integers beyond int64 become
 *   strings, as do unencrypted numbers beyond float64.
 * - INI: an inline comment after a section header moves to a line of its own above it (no
 *   ciphertext can follow a header for go-ini).
 * Types sops readers see are YAML's, except plain timestamps (strings, so sops <= 3.9 reads them)
 * and integers beyond int64 (strings: sops would lose digits).
 *
 * ## Limitations
 * - Comment rules (`encrypted_comment_regex`, `unencrypted_comment_regex`) in YAML: where a
 *   comment sits in sops's tree is worked out from its position; a comment matching the rule
 *   whose place is not certain is refused (docs/sops-format.md §8).
 * - YAML comments are encrypted with the additional data sops's YAML store would give them,
 *   worked out from their position (yaml.v3's head/line/foot rules); decryption tries every
 *   plausible path and, like sops, leaves a comment it cannot decrypt as it is. Comments are not
 *   in the MAC (as in sops).
 * - A YAML file sops wrote with a comment inside an empty flow collection (`k: {\n  # c\n}`,
 *   the closing bracket at column 0) does not parse here.
 * - Refused, as sops refuses them: non-string YAML keys (ints, bools, null, timestamps, complex
 *   keys), a top level that is not a mapping (YAML) or object (JSON), an empty JSON file, dotenv
 *   lines that are neither `KEY=VALUE` nor `#` comments, keys named `sops` / `sops_*`, YAML
 *   escapes of half a surrogate pair, duplicate YAML keys, a metadata version that is not semver. Refused
 *   here: explicit `!!int`/`!!float`/`!!bool`/`!!binary` tags, repeated INI keys (sops keeps only
 *   the last), INI line continuations.
 * - Shamir key groups are kept in the metadata (`otherKeys`) but splitting the data key is not
 *   done here.
 */
import { binaryComplete, decryptBinary, describeBinary, encryptBinary, parseBinary } from './binary.js'
import { parseDotenv } from './dotenv.js'
import {
  encryptedAsStored,
  firstPlaintextLeft,
  isComplete,
  metadataFor,
  openDocument,
  requireReadableMetadata,
  sealSlots,
  verifyMac,
  type Opened,
  type ParsedStore,
} from './engine.js'
import { isEncryptedValue as isEncryptedValueText } from './cipher.js'
import { SopsError } from './errors.js'
import { parseIni } from './ini.js'
import { parseJson } from './json.js'
import {
  effectiveRules,
  isSopsVersion,
  metadataFromTree,
  type MetaValue,
  type SopsAgeEntry,
  type SopsMetadata,
  type SopsRules,
} from './metadata.js'
import { extractPath } from './tree.js'
import { parseYaml } from './yaml.js'

export { SopsError, type SopsErrorCode } from './errors.js'
export type { SopsAgeEntry, SopsMetadata, SopsRules, MetaValue } from './metadata.js'

export type SopsStore = 'yaml' | 'json' | 'dotenv' | 'ini' | 'binary'

/** The store sops picks for a path by its suffix (`.yaml`/`.yml`, `.json`, `.env`, `.ini`); null: the binary store. */
export function storeForPath(path: string): SopsStore | null {
  if (path.endsWith('.yaml') || path.endsWith('.yml')) return 'yaml'
  if (path.endsWith('.json')) return 'json'
  if (path.endsWith('.env')) return 'dotenv'
  if (path.endsWith('.ini')) return 'ini'
  return null
}

type Parsed = ParsedStore & { hasSopsKey: boolean }

function decodeText(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)
  } catch {
    throw new SopsError('parse', 'not UTF-8 text')
  }
}

const encodeText = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'))

function parse(bytes: Uint8Array, store: Exclude<SopsStore, 'binary'>): Parsed {
  const text = decodeText(bytes)
  switch (store) {
    case 'yaml':
      return parseYaml(text)
    case 'json':
      return parseJson(text)
    case 'dotenv':
      return parseDotenv(text)
    case 'ini':
      return parseIni(text)
  }
}

/**
 * Whether the bytes are a complete sops document: metadata with a MAC, and every value and
 * comment its rules do not exempt is `ENC[...]` (or an empty string, which sops leaves as is).
 * Nothing is decrypted. A plaintext comment makes a document incomplete: it is as readable as a
 * plaintext value (sops encrypts comments as it encrypts values).
 * @throws {SopsError} 'parse' or 'unsupported' when the bytes do not parse in the store's syntax.
 */
export function isCompleteSopsDocument(bytes: Uint8Array, store: SopsStore): boolean {
  const parsed = store === 'binary' ? parseBinary(bytes) : parse(bytes, store)
  const meta = metadataFromTree(parsed.metadata)
  return meta !== null && isSopsVersion(meta.version) && isComplete(parsed)
}

/**
 * The sops metadata of a document; null when it is not a sops document.
 * @throws {SopsError} 'parse' when the bytes or the metadata are malformed.
 */
export function readSopsMetadata(bytes: Uint8Array, store: SopsStore): SopsMetadata | null {
  const parsed = store === 'binary' ? parseBinary(bytes) : parse(bytes, store)
  return metadataFromTree(parsed.metadata)
}

/**
 * Decrypts a sops document and verifies its MAC; the result is the user's bytes (layout and
 * comments as they were encrypted; see "Round trip" above for what is normalised).
 * @throws {SopsError} 'not-sops' without metadata; 'bad-value' naming the key path of a value
 *   that is not encrypted or does not decrypt; 'bad-mac' when the MAC is missing or differs;
 *   'parse' / 'unsupported' for malformed input, or what sops refuses to read (a metadata
 *   `version` that is not semver, a number sops cannot load stored in plaintext).
 */
export function decryptSops(bytes: Uint8Array, store: SopsStore, dataKey: Uint8Array): Uint8Array {
  if (store === 'binary') return decryptBinary(bytes, dataKey)
  const parsed = parse(bytes, store)
  const opened = openDocument(parsed, dataKey)
  verifyMac(opened, dataKey)
  return encodeText(parsed.emit(opened.outputs, null))
}

/**
 * Proves that a document is sops ciphertext made with `dataKey`, and returns its plaintext (as
 * `decryptSops`). It is when: it has sops metadata sops reads (a semver `version`, at most one
 * rule); every value and every comment sops would encrypt under the document's own rules is an
 * `ENC[...]` (empty strings and empty comments aside, as sops leaves them); every `ENC[...]`
 * value and comment decrypts with `dataKey` under its key path; and the MAC verifies. A comment
 * or value added in plaintext, a value swapped, moved or altered, a MAC or `lastmodified`
 * changed, fails; changing the recipients (`age` entries) does not, as they are outside the MAC
 * in sops too (whoever holds the data key could rewrap it).
 * @throws {SopsError} 'not-sops' without metadata; 'parse' for malformed input or a version sops
 *   refuses; 'unsupported' for what this module cannot read; 'bad-value' naming the place of
 *   the first plaintext left where sops would encrypt, or of a ciphertext that does not decrypt;
 *   'bad-mac' when the MAC is missing or differs. Messages never quote a value.
 */
export function verifySopsDocument(bytes: Uint8Array, store: SopsStore, dataKey: Uint8Array): Uint8Array {
  if (store === 'binary') return decryptBinary(bytes, dataKey)
  const parsed = parse(bytes, store)
  const meta = requireReadableMetadata(parsed)
  const left = firstPlaintextLeft(parsed, effectiveRules(meta.rules))
  if (left)
    throw new SopsError(
      'bad-value',
      `${left.where}: ${left.kind === 'comment' ? 'a comment' : 'a value'} is in plaintext where sops would encrypt it`,
    )
  const rules = effectiveRules(meta.rules)
  const opened = openDocument(parsed, dataKey)
  const unopened = parsed.slots.find(
    (s) =>
      s.kind === 'comment' &&
      isEncryptedValueText(s.text) &&
      !opened.outputs.has(s) &&
      encryptedAsStored(parsed, s, rules),
  )
  if (unopened)
    throw new SopsError(
      'bad-value',
      `${unopened.where}: an encrypted comment does not decrypt with this file's data key`,
    )
  verifyMac(opened, dataKey)
  return encodeText(parsed.emit(opened.outputs, null))
}

export interface EncryptSopsOptions {
  /** the 32-byte data key */
  dataKey: Uint8Array
  /** the data key wrapped for each recipient */
  age: SopsAgeEntry[]
  rules: SopsRules
  /** other key groups (pgp, kms...) to keep in the metadata, as read by `readSopsMetadata` */
  otherKeys?: Record<string, MetaValue>
  /** `lastmodified` when the MAC changes (default: now) */
  now?: Date
  /**
   * The previous committed document and its data key: when the key is the same, values whose
   * type, path and plaintext are unchanged keep their IV and ciphertext, and an unchanged MAC
   * keeps `lastmodified`. A previous version that does not decrypt is ignored.
   */
  previous?: { bytes: Uint8Array; dataKey: Uint8Array }
  /** told (once, in one line, never quoting a value) when decrypting will not give the input back byte for byte */
  onNotice?: (message: string) => void
}

const sameKey = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b))

function openPrevious(store: Exclude<SopsStore, 'binary'>, opts: EncryptSopsOptions): Opened | undefined {
  if (!opts.previous || !sameKey(opts.previous.dataKey, opts.dataKey)) return undefined
  try {
    const opened = openDocument(parse(opts.previous.bytes, store), opts.dataKey)
    verifyMac(opened, opts.dataKey)
    return opened
  } catch {
    return undefined
  }
}

/** Tells `onNotice` where the decrypted output first differs from the input (the normalisation). */
function checkRoundTrip(input: string, output: Uint8Array, store: SopsStore, opts: EncryptSopsOptions): void {
  const back = Buffer.from(decryptSops(output, store, opts.dataKey)).toString('utf8')
  if (back === input || !opts.onNotice) return
  const a = input.split('\n')
  const b = back.split('\n')
  let line = 0
  while (line < a.length && a[line] === b[line]) line++
  opts.onNotice(
    `written in sops's canonical form from line ${line + 1} on (decrypting gives the same values, spelled differently)`,
  )
}

/**
 * Encrypts a plaintext document in the sops format.
 * @throws {SopsError} 'parse' on unparsable input (the message says where, never quoting a
 *   value); 'unsupported' for what sops cannot represent (non-string keys, a top-level list, a
 *   key named `sops`, several encryption rules...).
 */
export function encryptSops(plaintext: Uint8Array, store: SopsStore, opts: EncryptSopsOptions): Uint8Array {
  if (store === 'binary') return encryptBinary(plaintext, opts)
  const parsed = parse(plaintext, store)
  if (parsed.hasSopsKey) {
    throw new SopsError(
      'unsupported',
      store === 'dotenv'
        ? 'keys starting with sops_ are reserved for sops metadata'
        : "the top-level key 'sops' is reserved for sops metadata",
    )
  }
  const rules = effectiveRules(opts.rules)
  const previous = openPrevious(store, opts)
  const { outputs, macHex } = sealSlots(parsed, {
    key: opts.dataKey,
    rules,
    ...(previous ? { reuse: previous.reuse } : {}),
  })
  const tree = metadataFor(
    macHex,
    {
      key: opts.dataKey,
      age: opts.age,
      rules: opts.rules,
      ...(opts.otherKeys ? { otherKeys: opts.otherKeys } : {}),
      ...(opts.now ? { now: opts.now } : {}),
      ...(previous ? { previous } : {}),
    },
    false,
  )
  const out = encodeText(parsed.emit(outputs, tree))
  checkRoundTrip(decodeText(plaintext), out, store, opts)
  return out
}

/**
 * Completes a sops document in which some values are plaintext (added by hand): they, and
 * plaintext comments, are encrypted with the file's data key; ciphertexts already there are
 * kept; the MAC and `lastmodified` are renewed. A document with nothing to encrypt and a valid
 * MAC comes back unchanged.
 * @throws {SopsError} 'not-sops' without metadata; 'bad-value' when an existing ciphertext does
 *   not decrypt with `dataKey`; 'parse' / 'unsupported' as for `encryptSops`.
 */
export function completeSopsDocument(bytes: Uint8Array, store: SopsStore, dataKey: Uint8Array, now?: Date): Uint8Array {
  if (store === 'binary') return binaryComplete(bytes, dataKey, now)
  const parsed = parse(bytes, store)
  const opened = openDocument(parsed, dataKey, true)
  const { outputs, macHex } = sealSlots(parsed, { key: dataKey, rules: opened.rules, keepEncrypted: opened })
  if (outputs.size === 0 && macHex === safeMac(opened, dataKey)) return bytes
  const meta = opened.meta
  const tree = metadataFor(
    macHex,
    { key: dataKey, age: meta.age, rules: meta.rules, otherKeys: meta.otherKeys, ...(now ? { now } : {}) },
    false,
  )
  return encodeText(parsed.emit(outputs, tree))
}

function safeMac(opened: Opened, key: Uint8Array): string | null {
  try {
    verifyMac(opened, key)
    return opened.macHex
  } catch {
    return null
  }
}

/**
 * What can be said about a sops document without its key: recipients, and every value's key
 * path in sops's `--extract` syntax (`["db"]["password"]`, list items as `[0]`) with its stored
 * text (an `ENC[...]` string, or the plaintext of an unencrypted value) to compare versions.
 * Null when the bytes are not a sops document.
 * @throws {SopsError} 'parse' / 'unsupported' for malformed input.
 */
export function describeSops(
  bytes: Uint8Array,
  store: SopsStore,
): { recipients: string[]; keys: string[]; values: { key: string; stored: string }[] } | null {
  if (store === 'binary') return describeBinary(bytes)
  const parsed = parse(bytes, store)
  const meta = metadataFromTree(parsed.metadata)
  if (!meta) return null
  const values = parsed.slots.flatMap((s) =>
    s.kind === 'value' ? [{ key: extractPath(s.display), stored: s.value.source ?? s.value.text }] : [],
  )
  return { recipients: meta.age.map((e) => e.recipient), keys: values.map((v) => v.key), values }
}
