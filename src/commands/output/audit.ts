/** How a recipient's exposures are printed: by `audit`, and by `remove-recipient` for the one removed. */
import type { Exposure } from '../../operations/audit.js'
import { columns, tint } from '../../ui.js'

const ROTATION_STYLE: Record<string, 'good' | 'bad' | 'warn'> = {
  rotated: 'good',
  'not rotated': 'bad',
  'still readable': 'bad',
  'partly rotated': 'warn',
}

/** The text lines of one recipient's exposures: path, versions, commit range, how, rotation. */
export function exposureLines(paths: Exposure[], indent = ''): string[] {
  return columns(
    paths.map((e) => [
      e.path,
      `${e.versions.length} version(s)`,
      `${e.first.slice(0, 12)}..${e.last.slice(0, 12)}`,
      `${e.commits} commit(s)`,
      `via ${e.via.join(', ')}`,
      ...(e.rotation
        ? [
            tint(ROTATION_STYLE[e.rotation] ?? 'dim', e.rotation) +
              (e.unchanged ? ` (unchanged: ${e.unchanged.join(', ')})` : ''),
          ]
        : []),
    ]),
    indent,
  )
}
