/**
 * Reading a file git-seal itself interprets at the top of the work tree (`.gitseal.yaml`,
 * `.gitattributes`): never through a symbolic link, only a regular file, never more than a
 * bound. A link to /dev/zero or a FIFO there must not hang every git command that runs a filter.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs'
import { ConfigError } from './schema.js'

/** A .gitattributes larger than this is refused: far beyond any hand-written one. */
export const MAX_ATTRIBUTES_BYTES = 16 << 20

/**
 * The text of `file`, or null when there is none.
 * @param name how messages name it (`.gitseal.yaml`)
 * @throws {ConfigError} when it is a symbolic link, not a regular file, or larger than `maxBytes`.
 */
export function readRepositoryFile(file: string, name: string, maxBytes: number): string | null {
  let fd: number
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return null
    if (code === 'ELOOP')
      throw new ConfigError([`${name}: is a symbolic link; git-seal reads only a regular file there`], name)
    throw e
  }
  try {
    const st = fstatSync(fd)
    if (!st.isFile()) throw new ConfigError([`${name}: not a regular file`], name)
    if (st.size > maxBytes) throw new ConfigError([`${name}: larger than ${maxBytes} bytes`], name)
    return readFileSync(fd, 'utf8')
  } finally {
    closeSync(fd)
  }
}
