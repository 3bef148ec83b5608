/**
 * `git-seal init`: once per repository. Keeps an existing .gitseal.yaml or writes a starter one
 * with you as admin (generating a key at sops's default path if you have none), writes the
 * .gitattributes block, then installs in this clone.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { join } from 'node:path'
import { userInfo } from 'node:os'
import { CONFIG_FILE, configFromSops, parseConfig, starterConfig } from '../config/index.js'
import { repoPaths } from '../git/repo.js'
import { gitMaybe } from '../git/run.js'
import { defaultKeyFile, loadIdentities } from '../keys/identities.js'
import { writeNewKeyFile } from '../keys/keyfile.js'
import { UserError, info, warning } from '../ui.js'
import { addHuskyLine, hooksLocation } from '../git/hooks.js'
import { install } from './install.js'
import { syncAttributes } from './sync.js'

/** A recipient name from the git identity or the login: lowercase letters, digits, '-'. */
function adminName(root: string): string {
  const raw = gitMaybe(['config', 'user.name'], { cwd: root }) || safeUser() || 'admin'
  const name = raw.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '')
  return name || 'admin'
}

function safeUser(): string {
  try {
    return userInfo().username
  } catch {
    return ''
  }
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { 'from-sops': { type: 'boolean' } } })
  const root = repoPaths().top
  if (!root) throw new UserError('git-seal needs a work tree; this repository is bare')
  const configFile = join(root, CONFIG_FILE)
  if (existsSync(configFile)) {
    info(`keeping the existing ${CONFIG_FILE}`)
  } else if (values['from-sops']) {
    const sopsFile = join(root, '.sops.yaml')
    if (!existsSync(sopsFile)) throw new UserError('no .sops.yaml at the top of the repository')
    const text = configFromSops(readFileSync(sopsFile, 'utf8'))
    parseConfig(text, CONFIG_FILE)
    writeFileSync(configFile, text)
    info(`wrote ${CONFIG_FILE} from .sops.yaml; review the recipient names and paths`)
  } else {
    const identities = loadIdentities()
    let recipient = identities.recipients[0]
    if (!recipient) {
      const file = defaultKeyFile()
      const key = writeNewKeyFile(file)
      recipient = key.recipient
      warning(`you had no age key: generated one at ${file} (mode 0600)`, 'back this file up now (a password manager will do): without it nobody can decrypt what is encrypted only to you')
    }
    writeFileSync(configFile, starterConfig(adminName(root), recipient))
    info(`wrote ${CONFIG_FILE} with you as admin (${recipient})`)
  }
  if (syncAttributes(root)) info('wrote the git-seal block in .gitattributes')
  const hooks = hooksLocation(root)
  const trackedHooks = hooks.husky ?? (hooks.tracked ? hooks.dir : null)
  const guarded = trackedHooks ? addHuskyLine(trackedHooks) : []
  if (guarded.length > 0) info(`added the git-seal guard to ${guarded.join(', ')}; commit them`)
  await install()
  info(`next: edit ${CONFIG_FILE}, then 'git add ${CONFIG_FILE} .gitattributes' and commit`)
  return 0
}
