#!/usr/bin/env node
// npm run demo: git-seal end to end in a throwaway repository, with a throwaway HOME and key.
// Needs only Node and git: no global git identity, no age key, no age CLI.
import { $, chalk, fs, path, os } from 'zx'
import { fileURLToPath } from 'node:url'

$.verbose = false
// Each step prints the messages it shows itself, once: zx would otherwise echo every stderr line too.
$.quiet = true
const bundle = fileURLToPath(new URL('../dist/git-seal.mjs', import.meta.url))
const work = await fs.mkdtemp(path.join(os.tmpdir(), 'git-seal-demo-'))
const home = path.join(work, 'home')
const repoDir = path.join(work, 'repo')
await fs.mkdirp(home)
await fs.mkdirp(repoDir)

const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), GIT_CONFIG_NOSYSTEM: '1' }
for (const k of Object.keys(env))
  if (k.startsWith('SOPS_') || k.startsWith('GIT_DIR') || k === 'GIT_INDEX_FILE') delete env[k]
const sh = $({ cwd: repoDir, env })
const seal = (...args) => sh`${process.execPath} ${bundle} ${args}`
const step = (s) => console.log('\n' + chalk.bold.cyan('▶ ' + s))
const show = (s) => console.log(s.toString().trimEnd().replace(/^/gm, '  '))

try {
  step('a fresh repository, with its own git identity and no age key')
  await sh`git init -q -b main`
  await sh`git config user.name "Demo User"`
  await sh`git config user.email demo@example.com`

  step('git-seal init: generates a key (none existed), writes .gitseal.yaml and .gitattributes, installs the filter')
  const init = await seal('init')
  show(init.stderr)
  show(await fs.readFile(path.join(repoDir, '.gitseal.yaml'), 'utf8'))

  step('commit a secret like any file')
  await fs.mkdirp(path.join(repoDir, 'secrets'))
  await fs.writeFile(path.join(repoDir, 'secrets', 'api-key.txt'), 'sk_live_DEMO_0123456789\n')
  await sh`git add .gitseal.yaml .gitattributes secrets/api-key.txt`
  await sh`git commit -qm "add an API key"`
  show((await sh`git log --oneline --stat`).stdout)

  step('what git stores (git cat-file -p HEAD:secrets/api-key.txt): an age file')
  const stored = (await sh`git cat-file -p HEAD:secrets/api-key.txt`).stdout
  show(stored.split('\n').slice(0, 3).join('\n') + '\n  … (binary ciphertext)')
  if (!stored.startsWith('age-encryption.org/v1\n') || stored.includes('sk_live_DEMO'))
    throw new Error('the stored blob is not ciphertext')

  step('the work tree holds the plaintext, and git status is clean')
  show(await fs.readFile(path.join(repoDir, 'secrets', 'api-key.txt'), 'utf8'))
  const status = (await sh`git status --porcelain`).stdout
  show(status || '(clean)')
  if (status !== '') throw new Error('git status is not clean')

  step('delete it and check it out again: decrypted on checkout')
  await fs.rm(path.join(repoDir, 'secrets', 'api-key.txt'))
  await sh`git checkout -- secrets/api-key.txt`
  const back = await fs.readFile(path.join(repoDir, 'secrets', 'api-key.txt'), 'utf8')
  show(back)
  if (back !== 'sk_live_DEMO_0123456789\n') throw new Error('checkout did not give the plaintext back')

  step('edit it: git diff shows readable lines (decrypted by the diff driver, never cached)')
  await fs.writeFile(path.join(repoDir, 'secrets', 'api-key.txt'), 'sk_live_DEMO_9876543210\n')
  show((await sh`git diff`).stdout)
  await sh`git commit -qam "rotate the API key"`

  step('a clone without the key sees only ciphertext')
  const cloneDir = path.join(work, 'clone')
  await $({
    env: { ...env, HOME: path.join(work, 'nokey'), XDG_CONFIG_HOME: path.join(work, 'nokey', '.config') },
  })`git clone -q ${repoDir} ${cloneDir}`
  const cloned = await fs.readFile(path.join(cloneDir, 'secrets', 'api-key.txt'))
  show(cloned.subarray(0, 22).toString('latin1') + ' … (' + cloned.length + ' bytes of ciphertext)')

  console.log('\n' + chalk.green('✔ demo complete: ') + `the throwaway repository is in ${repoDir}`)
} catch (e) {
  console.error(chalk.red('✘ demo failed: ') + (e.stderr || e.message || e))
  process.exitCode = 1
}
