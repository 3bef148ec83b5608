/** Errors of the age layer; `code` is what callers branch on. */

export type AgeErrorCode =
  | 'no-identity'
  | 'bad-header'
  | 'bad-mac'
  | 'bad-payload'
  | 'truncated'
  | 'bad-key'
  | 'unsupported'
  | 'plugin'

export class AgeError extends Error {
  override name = 'AgeError'
  constructor(
    readonly code: AgeErrorCode,
    message: string,
  ) {
    super(message)
  }
}

/**
 * Why a plugin could not do its part: it is not on PATH, it could not start, it broke the
 * protocol or exited early, or it reported errors. Messages name the plugin, never a key.
 */
export type PluginFailure = 'not-found' | 'failed' | 'refused'

export class PluginError extends AgeError {
  override name = 'PluginError'
  constructor(
    readonly plugin: string,
    readonly failure: PluginFailure,
    message: string,
    readonly hint?: string,
  ) {
    super('plugin', message)
  }
}
