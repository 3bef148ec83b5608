/** Errors of the age layer; `code` is what callers branch on. */

export type AgeErrorCode = 'no-identity' | 'bad-header' | 'bad-mac' | 'bad-payload' | 'truncated' | 'bad-key' | 'unsupported'

export class AgeError extends Error {
  override name = 'AgeError'
  constructor(
    readonly code: AgeErrorCode,
    message: string,
  ) {
    super(message)
  }
}
