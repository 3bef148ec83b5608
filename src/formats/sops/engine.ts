/**
 * The store-independent half of encryption and decryption: sops's `Tree.Encrypt`/`Decrypt` walk
 * over the slots a store parsed (sops.go), the MAC, IV reuse and the metadata to write. Stores
 * only parse and render; everything that must match sops byte for byte is decided here.
 */
import { isEncryptedValue, openValue, sealValue } from './cipher.js'
import { describePath, SopsError } from './errors.js'
import { formatLastModified, MacHasher, openMac, sealMac } from './mac.js'
import {
  effectiveRules,
  isSopsVersion,
  metadataFromTree,
  metadataToTree,
  type MetaTree,
  type SopsAgeEntry,
  type SopsMetadata,
  type SopsRules,
  type MetaValue,
} from './metadata.js'
import {
  additionalData,
  shouldEncrypt,
  usesComments,
  type CommentSlot,
  type EffectiveRules,
  type Slot,
  type SlotOutput,
  type ValueSlot,
} from './tree.js'
import { str, typedFromPlaintext, type Typed } from './values.js'

/** A document parsed by a store. */
export interface ParsedStore {
  readonly slots: readonly Slot[]
  /** the `sops` tree found in the document (unflattened), or null */
  readonly metadata: MetaTree | null
  /**
   * The document with `outputs` written in place of their slots, its sops block removed, and
   * `metadata` (when given) appended.
   */
  emit(outputs: ReadonlyMap<Slot, SlotOutput>, metadata: MetaTree | null): string
  /**
   * The comments each slot is under in sops's tree (`CommentStack`), for the comment-regex
   * rules; a store without comments (JSON) leaves it out.
   */
  readonly commentStacks?: ReadonlyMap<Slot, readonly CommentSlot[]>
}

/** Ciphertexts of a previous version by (type, additional data, plaintext), for IV reuse. */
export type ReuseIndex = Map<string, string>
const reuseKey = (type: string, ad: string, text: string): string => `${type}\u0000${ad}\u0000${text}`

/** The comments a slot is under (itself last for a comment), or none when the rules do not read them. */
function stackOf(parsed: ParsedStore, slot: Slot, rules: EffectiveRules): readonly CommentSlot[] {
  if (!usesComments(rules)) return []
  return parsed.commentStacks?.get(slot) ?? (slot.kind === 'comment' ? [slot] : [])
}

/** Whether sops would encrypt a slot of a document as stored (comments read as they are written). */
export function encryptedAsStored(parsed: ParsedStore, slot: Slot, rules: EffectiveRules): boolean {
  return shouldEncrypt(
    slot.path,
    rules,
    stackOf(parsed, slot, rules).map((c) => c.text),
    slot.kind === 'comment',
  )
}

const valueWhat = (slot: ValueSlot): string => `${slot.where}: the value at ${describePath(slot.path)}`
const isEmptyString = (v: Typed): boolean => v.type === 'str' && v.text === ''

/** Metadata of a parsed document. @throws {SopsError} 'not-sops' when it has none. */
export function requireMetadata(parsed: ParsedStore): SopsMetadata {
  const meta = metadataFromTree(parsed.metadata)
  if (!meta) throw new SopsError('not-sops', 'not a sops document (no sops metadata)')
  return meta
}

/**
 * Metadata sops would decrypt with: its `version` must be one sops parses.
 * @throws {SopsError} 'not-sops' without metadata; 'parse' for a version sops rejects.
 */
export function requireReadableMetadata(parsed: ParsedStore): SopsMetadata {
  const meta = requireMetadata(parsed)
  if (!isSopsVersion(meta.version))
    throw new SopsError('parse', 'sops metadata: the version is not a semantic version (sops refuses such a file)')
  return meta
}

/** A comment's plaintext, and whether it was sealed with the path this module would use. */
function openComment(slot: Slot & { kind: 'comment' }, key: Uint8Array): { text: string; primary: boolean } | null {
  // sops warns and keeps a comment it cannot decrypt (sops.go `Tree.Decrypt`); so do we. Which
  // path sops used depends on yaml.v3's comment placement, so every plausible one is tried.
  for (const path of [slot.path, ...slot.alternatives, ...(slot.fallback ?? [])]) {
    try {
      const opened = openValue(slot.text, key, additionalData(path), 'a comment')
      return { text: opened.plaintext.toString('utf8'), primary: path === slot.path }
    } catch {
      // try the next path
    }
  }
  return null
}

export interface Opened {
  outputs: Map<Slot, SlotOutput>
  macHex: string
  /** what each ENC value decrypted to, for reusing its IV when re-encrypting */
  reuse: ReuseIndex
  meta: SopsMetadata
  rules: EffectiveRules
}

/**
 * Decrypts every encrypted value and comment of a sops document and computes its MAC.
 * `lenient` accepts plaintext where a ciphertext belongs (a value added by hand).
 * @throws {SopsError} 'bad-value' for a value that is not encrypted (unless lenient) or does not decrypt.
 */
export function openDocument(parsed: ParsedStore, key: Uint8Array, lenient = false): Opened {
  const meta = requireReadableMetadata(parsed)
  const rules = effectiveRules(meta.rules)
  const mac = new MacHasher(rules.macOnlyEncrypted)
  const outputs = new Map<Slot, SlotOutput>()
  const reuse: ReuseIndex = new Map()
  // Under comment-regex rules, what is encrypted is taken as found: for every file sops itself
  // decrypts it is what sops decides, and it does not hang on this module's reading of where
  // yaml.v3 puts each comment. (Writing and `isComplete` do follow the rules.)
  const asFound = usesComments(rules)
  for (const slot of parsed.slots) {
    const stored = slot.kind === 'comment' ? slot.text : slot.value.type === 'str' ? slot.value.text : ''
    const encrypted = asFound ? isEncryptedValue(stored) : shouldEncrypt(slot.path, rules)
    const ad = additionalData(slot.path)
    if (slot.kind === 'comment') {
      if (!encrypted || !isEncryptedValue(slot.text)) continue
      const opened = openComment(slot, key)
      if (opened === null) continue
      outputs.set(slot, { plain: str(opened.text) })
      // only a ciphertext sealed with the path it will be written under can be reused
      if (opened.primary) reuse.set(reuseKey('comment', ad, opened.text), slot.text)
      continue
    }
    let value = slot.value
    if (encrypted && !isEmptyString(value)) {
      if (value.type === 'str' && isEncryptedValue(value.text)) {
        const opened = openValue(value.text, key, ad, valueWhat(slot))
        if (opened.type === 'comment' && slot.listItem) {
          // sops stores a comment inside a sequence as an item (`- ENC[...,type:comment]`) and
          // reads it back as a comment: outside the MAC (sops <= 3.13.1, >= 3.13.3; docs/sops-format.md §8)
          const text = opened.plaintext.toString('utf8')
          outputs.set(slot, { plain: str(text), asComment: true })
          reuse.set(reuseKey('comment', ad, text), value.text)
          continue
        }
        const typed = typedFromPlaintext(opened.type, opened.plaintext.toString('utf8'), valueWhat(slot))
        reuse.set(reuseKey(typed.type, ad, typed.text), value.text)
        outputs.set(slot, { plain: typed })
        value = typed
      } else if (!lenient) {
        throw new SopsError('bad-value', `${valueWhat(slot)} is not encrypted`)
      }
    } else if (!encrypted) {
      if (value.quoteWhenPlain && !lenient)
        throw new SopsError(
          'unsupported',
          `${slot.where}: a number sops cannot load (beyond int64 or float64) is stored in plaintext; sops cannot read this file`,
        )
      value = value.plainAs ?? value
    }
    if (!rules.macOnlyEncrypted || encrypted) mac.add(value.text)
  }
  return { outputs, macHex: mac.hex(), reuse, meta, rules }
}

/** Compares a computed MAC with the one recorded. @throws {SopsError} 'bad-mac' */
export function verifyMac(opened: Opened, key: Uint8Array): void {
  const recorded = openMac(opened.meta.mac, key, opened.meta.lastmodified)
  if (recorded !== opened.macHex)
    throw new SopsError('bad-mac', 'MAC mismatch: values were added, removed or changed without the data key')
}

export interface SealOptions {
  key: Uint8Array
  rules: EffectiveRules
  /** ciphertexts to reuse for unchanged (type, path, plaintext) triples (same data key only) */
  reuse?: ReuseIndex
  /** keep slots that already hold a ciphertext (completing a partly encrypted document) */
  keepEncrypted?: Opened
}

/**
 * sops `Tree.Encrypt`: seals every value and comment the rules select and hashes the MAC.
 * Ciphertexts of `keepEncrypted` documents are kept as they are.
 */
export function sealSlots(
  parsed: Pick<ParsedStore, 'slots' | 'commentStacks'>,
  opts: SealOptions,
): { outputs: Map<Slot, SlotOutput>; macHex: string } {
  const { slots } = parsed
  const mac = new MacHasher(opts.rules.macOnlyEncrypted)
  // sops decides with the comments' plaintext when it encrypts
  const plainText = (c: CommentSlot): string => {
    const opened = opts.keepEncrypted?.outputs.get(c)
    return opened && 'plain' in opened ? opened.plain.text : c.text
  }
  const stacks = usesComments(opts.rules) ? parsed.commentStacks : undefined
  const comments = (slot: Slot): string[] =>
    (stacks?.get(slot) ?? (slot.kind === 'comment' ? [slot] : [])).map(plainText)
  const outputs = new Map<Slot, SlotOutput>()
  // An integral float is printed as sops prints it (`7`), which reads back as an int with the
  // same canonical bytes: the stored float ciphertext is kept, type included (and the MAC with it).
  const reused = (type: string, text: string, ad: string): string | undefined =>
    opts.reuse?.get(reuseKey(type, ad, text)) ??
    (type === 'int' ? opts.reuse?.get(reuseKey('float', ad, text)) : undefined)
  const seal = (type: string, text: string, ad: string): string =>
    reused(type, text, ad) ?? sealValue(text, type, opts.key, ad)
  const commentRule = opts.rules.unencryptedCommentRegex ?? opts.rules.encryptedCommentRegex
  for (const slot of slots) {
    let encrypted = shouldEncrypt(slot.path, opts.rules, comments(slot), slot.kind === 'comment')
    const ad = additionalData(slot.path)
    if (slot.kind === 'comment' && commentRule && slot.uncertain) {
      // Where sops's tree has this comment is not certain. One matching the rule must not decide
      // any value: where none can be under it, it stays readable, as such a marker does; else
      // it is refused. One not matching is encrypted (should sops not have encrypted it,
      // `sops -d` shows its ciphertext; it decides nothing either way).
      if (commentRule.test(plainText(slot))) {
        if (slot.uncertain === 'open') {
          const name = opts.rules.unencryptedCommentRegex ? 'unencrypted_comment_regex' : 'encrypted_comment_regex'
          throw new SopsError(
            'unsupported',
            `${slot.where}: a comment matching ${name} must be directly above the key or list item it is for, at its indentation, or after a value on its line (elsewhere, which values sops applies it to is not certain)`,
          )
        }
        encrypted = false
      } else encrypted = true
    }
    if (slot.kind === 'comment') {
      if (encrypted && slot.text !== '' && !(opts.keepEncrypted && isEncryptedValue(slot.text))) {
        const enc = seal('comment', slot.text, ad)
        // as sops refuses it: decrypting would read the ciphertext as a comment turning encryption off
        if (opts.rules.unencryptedCommentRegex?.test(enc)) {
          throw new SopsError(
            'unsupported',
            `${slot.where}: an encrypted comment matches unencrypted_comment_regex; make the regex unable to match ENC[...] text`,
          )
        }
        outputs.set(slot, { enc })
      }
      continue
    }
    let value = slot.value
    const opened = opts.keepEncrypted?.outputs.get(slot)
    if (opened && 'plain' in opened) value = opened.plain
    else if (encrypted && !isEmptyString(value)) {
      // a YAML timestamp is sealed as the string it was written as (no `time` type: docs/sops-format.md §1)
      if (value.type === 'time' && value.source !== undefined) value = str(value.source)
      outputs.set(slot, { enc: seal(value.type, value.text, ad) })
    } else if (!encrypted && value.quoteWhenPlain) {
      // sops cannot load it as written (docs/sops-format.md §8): stored as the string it spells
      value = str(value.text)
      outputs.set(slot, { plain: value })
    } else if (!encrypted) value = value.plainAs ?? value
    if (!opts.rules.macOnlyEncrypted || encrypted) mac.add(value.text)
  }
  return { outputs, macHex: mac.hex() }
}

export interface WriteOptions {
  key: Uint8Array
  age: readonly SopsAgeEntry[]
  rules: SopsRules
  otherKeys?: Record<string, MetaValue>
  now?: Date
  /** the previous version, opened with the same data key */
  previous?: Opened
}

/** The metadata tree to write: `lastmodified` and the MAC are kept when the MAC did not change. */
export function metadataFor(macHex: string, opts: WriteOptions, binary: boolean): MetaTree {
  const prev = opts.previous
  const unchanged =
    prev &&
    prev.macHex === macHex &&
    prev.rules.macOnlyEncrypted === (opts.rules.macOnlyEncrypted === true) &&
    prev.meta.mac !== ''
  const lastmodified = unchanged ? prev.meta.lastmodified : formatLastModified(opts.now ?? new Date())
  const mac = unchanged ? prev.meta.mac : sealMac(macHex, opts.key, lastmodified)
  return metadataToTree(
    { age: opts.age, lastmodified, mac, rules: opts.rules, ...(opts.otherKeys ? { otherKeys: opts.otherKeys } : {}) },
    binary,
  )
}

/**
 * The first value or comment left in plaintext where this module, writing the document under
 * its rules, would have put a ciphertext (sops's choice; for a comment of uncertain place, see
 * `sealSlots`); undefined when there is none. Does not decrypt.
 */
export function firstPlaintextLeft(parsed: ParsedStore, rules: EffectiveRules): Slot | undefined {
  const commentRule = rules.unencryptedCommentRegex ?? rules.encryptedCommentRegex
  const unsure =
    commentRule !== undefined &&
    parsed.slots.some((s) => s.kind === 'comment' && s.uncertain === 'open' && commentRule.test(s.text))
  return parsed.slots.find((slot) => {
    if (slot.kind === 'comment') {
      if (slot.text === '' || isEncryptedValue(slot.text)) return false
      if (commentRule && slot.uncertain) return slot.uncertain === 'open' || !commentRule.test(slot.text)
      return encryptedAsStored(parsed, slot, rules)
    }
    if (isEmptyString(slot.value) || (slot.value.type === 'str' && isEncryptedValue(slot.value.text))) return false
    return unsure || encryptedAsStored(parsed, slot, rules)
  })
}

/**
 * Whether every value and comment the rules select is encrypted, and there is a MAC. Does not
 * decrypt. A comment sops would encrypt, left in plaintext, is as readable as a plaintext value:
 * what the guard and `verify` judge without a key.
 * @throws {SopsError} 'not-sops' without metadata.
 */
export function isComplete(parsed: ParsedStore): boolean {
  const meta = requireMetadata(parsed)
  if (meta.mac === '') return false
  return firstPlaintextLeft(parsed, effectiveRules(meta.rules)) === undefined
}
