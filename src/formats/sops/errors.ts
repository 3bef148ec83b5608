/**
 * The one error type of the sops format module. Messages name the place (a line, a key path such
 * as `db:password:`) and never quote a value: they end up in terminals and CI logs.
 */

export type SopsErrorCode =
  /** the bytes carry no sops metadata */
  | 'not-sops'
  /** the MAC is missing, does not decrypt, or does not match the values */
  | 'bad-mac'
  /** a value that must be encrypted is not, or its ciphertext does not decrypt */
  | 'bad-value'
  /** the input does not parse in its store's syntax */
  | 'parse'
  /** valid input that sops (or this module) cannot represent */
  | 'unsupported'

export class SopsError extends Error {
  override name = 'SopsError'
  readonly code: SopsErrorCode

  constructor(code: SopsErrorCode, message: string) {
    super(message)
    this.code = code
  }
}

/** A key path as sops spells additional data, for messages: `a:b:` (the top level is `:`). */
export function describePath(path: readonly string[]): string {
  return path.length === 0 ? '(top level)' : `'${path.join(':')}:'`
}
