#!/usr/bin/env node
// npm run bench: git-seal side by side with plain git, git-crypt, the age CLI and a do-nothing
// Node filter, measured in one run on this machine. Prints medians, the ratios of issue 16's
// six targets with met / not met, and (on a full run) writes docs/benchmarks.md.
// Not a test: timings are reported, never asserted.
//
//   BENCH_QUICK=1          small sizes, one run each (to check the bench itself works)
//   BENCH_CASES=a,b        only these cases: small, ct, bulk, sops, big, rss, diff, guard, rekey, scan
//   BENCH_DIR=/path        where the repositories go (default /dev/shm, else the temp dir)
//
// docs/benchmarks.md is written only by a full run (no BENCH_CASES, no BENCH_QUICK); the load
// average before and after is recorded with it: the numbers mean little on a busy machine.
import { $, fs, os, path } from 'zx'
import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'

$.verbose = false
const root = fileURLToPath(new URL('..', import.meta.url))
const quick = process.env.BENCH_QUICK === '1'
const selected = process.env.BENCH_CASES ? new Set(process.env.BENCH_CASES.split(',')) : null
const full = !quick && selected === null
const wanted = (name) => selected === null || selected.has(name)
const RUNS = quick ? 1 : 3
// The one-secret commands (targets 1 and 2) take tens of ms: more runs, so a ratio to `node -e ''`
// (itself a median of 15) does not move with one slow run.
const SHORT_RUNS = quick ? 3 : 11
// The 64 MiB commands (target 5): git's own hashing and compression of 64 MiB moves by a quarter
// from run to run, so more runs, and the kinds compared taken in turn.
const BIG_RUNS = quick ? 1 : 5
const NODE_RUNS = quick ? 3 : 15
const MiB = 1 << 20

function ensureTool(bin, pkg) {
  if (spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0) return true
  const sudo = process.getuid?.() === 0 ? '' : 'sudo '
  const r = spawnSync('sh', ['-c', `${sudo}apt-get update -qq && ${sudo}apt-get install -y -qq ${pkg}`], {
    stdio: 'ignore',
  })
  return r.status === 0 && spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0
}
const haveGitCrypt = ensureTool('git-crypt', 'git-crypt')
const haveAge = ensureTool('age', 'age')
const haveTime = ensureTool('/usr/bin/time', 'time')

const loadBefore = os.loadavg()
// Repositories live in RAM (/dev/shm) when there is one: every contender's cost here is CPU and
// pipes, and on a shared disk the writeback of one case's files lands in the next case's timing.
const benchBase =
  process.env.BENCH_DIR ||
  (fs.existsSync('/dev/shm') && spawnSync('sh', ['-c', 'test -w /dev/shm']).status === 0 ? '/dev/shm' : os.tmpdir())
const work = await fs.mkdtemp(path.join(benchBase, 'git-seal-bench-'))
// A snapshot of the build: the run measures one version even if dist/ is rebuilt meanwhile.
await fs.copy(path.join(root, 'dist'), path.join(work, 'dist'))
const bundle = path.join(work, 'dist', 'git-seal.mjs')
const floorFilter = path.join(root, 'bench', 'floor-filter.mjs')
// Target 4's floor: the least a Node filter doing age's work costs (bench/age-floor-filter.mjs),
// with an X25519 key of its own (a raw scalar: it reads no key file).
const ageFloorFilter = path.join(root, 'bench', 'age-floor-filter.mjs')
const ageFloorKey = randomBytes(32).toString('hex')
const home = path.join(work, 'home')
await fs.mkdirp(path.join(home, '.config', 'sops', 'age'))
const env = {
  ...process.env,
  HOME: home,
  XDG_CONFIG_HOME: path.join(home, '.config'),
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'b',
  GIT_AUTHOR_EMAIL: 'b@x',
  GIT_COMMITTER_NAME: 'b',
  GIT_COMMITTER_EMAIL: 'b@x',
}
for (const k of Object.keys(env)) if (k.startsWith('SOPS_') || k.startsWith('GIT_SEAL_')) delete env[k]
await fs.writeFile(path.join(home, '.gitconfig'), '[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n')
const keyFile = path.join(home, '.config', 'sops', 'age', 'keys.txt')
const recipient = execFileSync(process.execPath, [bundle, 'keygen', '-o', keyFile], {
  env,
  stdio: ['ignore', 'pipe', 'ignore'],
})
  .toString()
  .trim()

function sh(cwd, cmd) {
  const r = spawnSync('sh', ['-c', cmd], { cwd, env, maxBuffer: 1 << 30 })
  if (r.status !== 0) throw new Error(`${cmd} failed in ${cwd}: ${r.stderr}`)
  return r.stdout.toString()
}
function time(cwd, cmd) {
  const start = process.hrtime.bigint()
  sh(cwd, cmd)
  return Number(process.hrtime.bigint() - start) / 1e9
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
/**
 * Median wall time of `cmd` after `setup(i)`, and of a bare `node -e ''` run just before each
 * time: target 2 is a ratio of the two, and the machine's speed drifts over a bench of tens of
 * minutes (one `node -e ''` median taken at the start moved the ratios by up to 0.08x).
 */
async function measureWithNodeStart(setup, cmd, runs = SHORT_RUNS) {
  const xs = []
  const starts = []
  for (let i = 0; i < runs; i++) {
    starts.push(time(work, `${process.execPath} -e ''`))
    const cwd = await setup(i)
    xs.push(time(cwd, cmd))
  }
  return { seconds: median(xs), nodeStart: median(starts) }
}
/** Median wall time of `cmd` after `setup(i)` (which returns the directory to run it in). */
async function measure(setup, cmd, runs = RUNS) {
  const xs = []
  for (let i = 0; i < runs; i++) {
    const cwd = await setup(i)
    xs.push(time(cwd, cmd))
  }
  return median(xs)
}
/** The filter's own peak RSS in MiB for one git command: the configured process command wrapped in /usr/bin/time. */
function filterRss(dir, driver, gitArgs) {
  const out = path.join(work, `rss-${process.pid}-${Math.random().toString(36).slice(2)}`)
  const command = sh(dir, `git config filter.${driver}.process`).trim()
  const wrapped = `/usr/bin/time -f %M -o ${out} sh -c '${command.replace(/'/g, `'\\''`)}'`
  const r = spawnSync('git', ['-c', `filter.${driver}.process=${wrapped}`, ...gitArgs], {
    cwd: dir,
    env,
    maxBuffer: 1 << 30,
  })
  if (r.status !== 0) throw new Error(`git ${gitArgs.join(' ')} failed in ${dir}: ${r.stderr}`)
  return Number(fs.readFileSync(out, 'utf8').trim().split('\n').pop()) / 1024
}

// Floors (issue 16: a target no Node filter can reach is shown with what it would take, measured
// in the same run): for one secret, a fresh Node process loading node:crypto and doing that
// secret's crypto (bench/crypto-floor.mjs first); for bulk, the least age filter (above).
const cryptoFloorScript = path.join(root, 'bench', 'crypto-floor.mjs')
/** Seconds a fresh Node process spends loading node:crypto and doing one file's crypto (median). */
function firstCrypto(op, runs = quick ? 3 : 9) {
  const xs = []
  for (let i = 0; i < runs; i++)
    xs.push(JSON.parse(execFileSync(process.execPath, [cryptoFloorScript, 'first', op], { env }).toString()).ms / 1000)
  return median(xs)
}
/** A verdict: met, not met, or unreachable with the floor measured (only when the floor itself misses the limit). */
const verdict = (met, floorMisses, floorText) =>
  met ? 'yes' : floorMisses ? `unreachable: floor ${floorText} (measured)` : 'not met'

const config = (pattern, extra = '', version = 1) =>
  `version: ${version}\ngroups:\n  bench:\n    recipients:\n      admins:\n        - name: bench\n          key: ${recipient}\n    secrets:\n      all:\n        path: "${pattern}"\n${extra}`

let textconvShCommand = null
/** git-seal's textconv command (the sh driver), as install writes it. */
function textconvSh() {
  if (textconvShCommand === null) {
    const probe = path.join(work, 'textconv-probe')
    fs.mkdirpSync(probe)
    sh(probe, 'git init -q')
    execFileSync(process.execPath, [bundle, 'install', '-q'], { cwd: probe, env, stdio: 'ignore' })
    textconvShCommand = sh(probe, 'git config diff.git-seal.textconv').trim()
  }
  return textconvShCommand
}

/**
 * A repo with N small secret files written but not added, of kind plain | seal | crypt | floor (a do-nothing Node
 * filter) | agefloor (the least age filter in Node).
 */
async function makeRepo(kind, n, tag, ext = 'txt', configText = config('secrets/**')) {
  const dir = path.join(work, `${kind}-${n}-${tag}`)
  await fs.mkdirp(path.join(dir, 'secrets'))
  sh(dir, 'git init -q')
  if (kind === 'seal') {
    await fs.writeFile(path.join(dir, '.gitseal.yaml'), configText)
    execFileSync(process.execPath, [bundle, 'sync'], { cwd: dir, env, stdio: 'ignore' })
    execFileSync(process.execPath, [bundle, 'install', '-q'], { cwd: dir, env, stdio: 'ignore' })
    sh(dir, 'git add .gitseal.yaml .gitattributes && git commit -qm setup')
  } else if (kind === 'floor') {
    // git-seal's sh textconv too (diff=floor): with the do-nothing filter, the floor of `git diff`
    // and `git log -p` for any Node filter (git starts the filter once per command to smudge
    // the index side, and textconv once per file side).
    sh(
      dir,
      `printf "secrets/** filter=floor diff=floor\\n" > .gitattributes && git config filter.floor.process "${process.execPath} ${floorFilter}" && git config filter.floor.required true && git add .gitattributes && git commit -qm setup`,
    )
    execFileSync('git', ['config', 'diff.floor.textconv', textconvSh()], { cwd: dir, env })
  } else if (kind === 'agefloor') {
    // Each filter process appends the ms its main thread spent on X25519 to this log (for the credit).
    // Assignments before the command, not env(1): git runs it with sh, which starts node directly.
    const command = `BENCH_AGE_FLOOR_KEY=${ageFloorKey} BENCH_AGE_FLOOR_LOG=${path.join(dir, '.git', 'x25519.log')} ${process.execPath} ${ageFloorFilter}`
    sh(dir, 'printf "secrets/** filter=agefloor\\n" > .gitattributes && git add .gitattributes && git commit -qm setup')
    execFileSync('git', ['config', 'filter.agefloor.process', command], { cwd: dir, env })
    execFileSync('git', ['config', 'filter.agefloor.required', 'true'], { cwd: dir, env })
  } else if (kind === 'crypt') {
    sh(
      dir,
      'git-crypt init >/dev/null && printf "secrets/** filter=git-crypt diff=git-crypt\\n" > .gitattributes && git add .gitattributes && git commit -qm setup',
    )
  }
  for (let i = 0; i < n; i++)
    await fs.writeFile(path.join(dir, 'secrets', `s${i}.${ext}`), `TOKEN_${i}=${Math.random().toString(36).slice(2)}\n`)
  return dir
}

const results = []
const f3 = (x) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(3))
/** One measured row: seconds (or MiB) of git-seal and of what it is compared with. */
function row(caseName, what, values, notes = '') {
  results.push({ caseName, what, ...values, notes })
  const cols = ['seal', 'plain', 'floor', 'crypt'].map((k) => `${k} ${f3(values[k]).padStart(8)}`).join('  ')
  console.log(`${caseName.padEnd(10)} ${what.padEnd(40)} ${cols}  ${notes}`)
}
/** The six targets of issue 16: what was measured, the limit, met or not. */
const targets = []
function target(id, what, value, limit, met, notes = '', state = met ? 'yes' : 'not met') {
  targets.push({ id, what, value, limit, met, notes, state })
  console.log(`target ${id}: ${what}: ${value} (${limit}) ${state.toUpperCase()} ${notes}`)
}
const x = (r) => `${r.toFixed(2)}x`

console.log(
  `git-seal bench on ${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, node ${process.version}, ${sh(work, 'git --version').trim()}, load ${loadBefore.map((l) => l.toFixed(2)).join(' ')}\n`,
)

// A bare Node start: the unit of targets 2 and 3 (the median of many, it is short and noisy).
const nodeStart = await measure(async () => work, `${process.execPath} -e ''`, NODE_RUNS)
row('node', "node -e ''", { seal: nodeStart })

// Case small: what most users do, with 1, 10 and 50 secrets (targets 1, 2 and 3).
if (wanted('small')) {
  const SECRETS = quick ? [1, 10] : [1, 10, 50]
  const HISTORY = quick ? 10 : 100
  // The do-nothing filter too: what one Node start of a filter costs these commands (target 2's floor).
  const kinds = ['plain', 'floor', 'seal', ...(haveGitCrypt ? ['crypt'] : [])]
  const target1 = []
  const target2 = []
  const target3 = []
  for (const n of SECRETS) {
    const t = {}
    const diffed = Math.min(10, n)
    for (const kind of kinds) {
      const dir = await makeRepo(kind, n, 'small')
      await fs.writeFile(path.join(dir, 'README.md'), 'readme\n')
      await fs.mkdirp(path.join(dir, 'src'))
      for (let i = 0; i < 20; i++) await fs.writeFile(path.join(dir, 'src', `f${i}.txt`), `file ${i}\n`)
      sh(dir, 'git add -A && git commit -qm files')
      // History: each commit changes one secret (log -p shows two sides per commit).
      for (let c = 0; c < HISTORY; c++) {
        await fs.appendFile(
          path.join(dir, 'secrets', `s${c % n}.txt`),
          `LINE_${c}=${Math.random().toString(36).slice(2)}\n`,
        )
        sh(dir, `git commit -qam "change ${c}"`)
      }
      // A branch where every secret differs, for the switch.
      sh(dir, 'git switch -qc other')
      for (let i = 0; i < n; i++) await fs.appendFile(path.join(dir, 'secrets', `s${i}.txt`), 'OTHER=1\n')
      sh(dir, 'git commit -qam other && git switch -q main')
      const s0 = path.join(dir, 'secrets', 's0.txt')
      const m = {}
      t[kind] = m
      // Within a second of a checkout, git re-cleans the files it wrote (their timestamps are
      // racy): one filter start in any command, the commit's too, which is not the hook's cost.
      // A second later, a status settles them.
      sh(dir, 'sleep 1 && git status --porcelain >/dev/null')
      m.commit = await measure(
        async (i) => {
          sh(dir, `echo ${i}-${Math.random()} >> README.md && git add README.md`)
          return dir
        },
        'git commit -qm readme',
        SHORT_RUNS,
      )
      // The one-secret commands (target 2), each with the node -e '' it is compared with.
      m.node = {}
      ;({ seconds: m.add, nodeStart: m.node.add } = await measureWithNodeStart(async (i) => {
        await fs.appendFile(s0, `ADD_${i}=1\n`)
        return dir
      }, 'git add secrets/s0.txt'))
      ;({ seconds: m.checkout, nodeStart: m.node.checkout } = await measureWithNodeStart(async () => {
        await fs.rm(s0)
        return dir
      }, 'git checkout -- secrets/s0.txt'))
      ;({ seconds: m.status, nodeStart: m.node.status } = await measureWithNodeStart(async () => {
        sh(dir, 'touch -d "+5 seconds" secrets/s0.txt')
        return dir
      }, 'git status --porcelain'))
      sh(dir, 'git reset -q && git checkout -q -- secrets')
      m.switch = await measure(async () => {
        sh(dir, 'git switch -q main')
        return dir
      }, 'git switch -q other')
      sh(dir, 'git switch -q main')
      m.stash = await measure(async (i) => {
        await fs.appendFile(s0, `STASH_${i}=1\n`)
        return dir
      }, 'git stash -q && git stash pop -q')
      sh(dir, 'git checkout -q -- secrets')
      m.diff = await measure(
        async (i) => {
          for (let k = 0; k < diffed; k++) await fs.appendFile(path.join(dir, 'secrets', `s${k}.txt`), `DIFF_${i}=1\n`)
          return dir
        },
        'git diff >/dev/null',
        SHORT_RUNS,
      )
      sh(dir, 'git checkout -q -- secrets')
      m.log = await measure(async () => dir, `git log -p -${HISTORY} >/dev/null`)
      m.logRaw = await measure(async () => dir, `git log -p --no-textconv -${HISTORY} >/dev/null`)
    }
    const ops = [
      ['commit', 'commit that stages no secret'],
      ['add', 'add of one secret'],
      ['checkout', 'checkout of one secret'],
      ['status', 'status after touching one secret'],
      ['switch', `branch switch (${n} secrets differ)`],
      ['stash', 'stash + pop of one secret'],
      ['diff', `git diff of ${diffed} secret(s)`],
      ['log', `git log -p over ${HISTORY} commits`],
    ]
    for (const [op, what] of ops) {
      const seal = t.seal[op]
      const perFile = ['add', 'checkout', 'status'].includes(op)
      // The floor column: the do-nothing filter (with the sh textconv for diff and log -p).
      const floored = perFile || op === 'diff' || op === 'log'
      const notes = [
        `${x(seal / t.plain[op])} git`,
        ...(t.crypt ? [`git-crypt/git-seal ${x(t.crypt[op] / seal)}`] : []),
        ...(perFile
          ? [
              `${x(seal / t.seal.node[op])} node -e '' (the do-nothing filter ${x(t.floor[op] / t.floor.node[op])}; node -e '' run alongside: ${(t.seal.node[op] * 1000).toFixed(1)} ms)`,
            ]
          : []),
        ...(t.crypt && floored && !perFile ? [`git-crypt/do-nothing filter ${x(t.crypt[op] / t.floor[op])}`] : []),
      ]
      row(
        `small:${n}`,
        what,
        { seal, plain: t.plain[op], floor: floored ? t.floor[op] : undefined, crypt: t.crypt?.[op] },
        notes.join('; '),
      )
    }
    target1.push(t.seal.commit / t.plain.commit)
    for (const op of ['add', 'checkout', 'status'])
      target2.push({
        n,
        op,
        ratio: t.seal[op] / t.seal.node[op],
        floor: t.floor[op] / t.floor.node[op],
        work: t.floor[op],
        nodeStart: t.floor.node[op],
      })
    const sides = 2 * HISTORY
    const perSide = (t.seal.log - t.seal.logRaw) / sides
    target3.push({
      n,
      perSide,
      crypt: t.crypt ? t.crypt.log / t.seal.log : undefined,
      cryptDiff: t.crypt ? t.crypt.diff / t.seal.diff : undefined,
      // The best any Node filter with the sh textconv could do against git-crypt here.
      floorLog: t.crypt ? t.crypt.log / t.floor.log : undefined,
      floorDiff: t.crypt ? t.crypt.diff / t.floor.diff : undefined,
    })
  }
  const worst1 = Math.max(...target1)
  target(
    1,
    'commit that stages no secret, git-seal / plain git (worst of 1, 10, 50 secrets)',
    x(worst1),
    '<= 3x',
    worst1 <= 3,
    target1.map(x).join(' / '),
  )
  // Target 2's floor: the do-nothing filter's command plus what a fresh Node process spends
  // loading node:crypto and doing one secret's crypto (clean for add and status, smudge for checkout).
  const first = { add: firstCrypto('add'), checkout: firstCrypto('checkout') }
  for (const r of target2) r.floorCrypto = (r.work + first[r.op === 'checkout' ? 'checkout' : 'add']) / r.nodeStart
  const worst2 = target2.reduce((a, b) => (b.ratio > a.ratio ? b : a))
  const failing2 = target2.filter((r) => r.ratio > 1.4)
  const floor2 = failing2.length ? Math.min(...failing2.map((r) => r.floorCrypto)) : NaN
  target(
    2,
    "a git command that cleans or smudges one secret / node -e '' (worst of add, checkout, status)",
    x(worst2.ratio),
    '<= 1.4x',
    worst2.ratio <= 1.4,
    `worst: ${worst2.op} with ${worst2.n} secrets; all: ${target2.map((r) => `${r.op}@${r.n} ${x(r.ratio)}`).join(', ')}; the do-nothing filter: ${x(Math.min(...target2.map((r) => r.floor)))}-${x(Math.max(...target2.map((r) => r.floor)))}; it plus node:crypto and one secret's crypto in a fresh process (+${(first.add * 1000).toFixed(1)} ms clean, +${(first.checkout * 1000).toFixed(1)} ms smudge): ${x(Math.min(...target2.map((r) => r.floorCrypto)))}-${x(Math.max(...target2.map((r) => r.floorCrypto)))}`,
    verdict(worst2.ratio <= 1.4, failing2.length > 0 && floor2 > 1.4, `${x(floor2)} node -e ''`),
  )
  const worstSide = Math.max(...target3.map((r) => r.perSide))
  const cryptRatios = target3.flatMap((r) => (r.crypt === undefined ? [] : [r.crypt, r.cryptDiff]))
  const worstCrypt = cryptRatios.length ? Math.min(...cryptRatios) : NaN
  // Unreachable only when every git-crypt ratio that misses 2.5x has a floor (git-crypt / the
  // do-nothing filter with the sh textconv) that misses it too, and the per-side limit is met.
  const misses3 = target3.flatMap((r) => [
    ...(r.crypt !== undefined && r.crypt < 2.5 ? [r.floorLog] : []),
    ...(r.cryptDiff !== undefined && r.cryptDiff < 2.5 ? [r.floorDiff] : []),
  ])
  const floor3 = misses3.length ? Math.max(...misses3) : NaN
  const met3 = worstCrypt >= 2.5 && worstSide <= 0.015
  target(
    3,
    'git log -p / git diff of secrets: git-crypt / git-seal, and git-seal per diff side',
    `${cryptRatios.length ? x(worstCrypt) : 'no git-crypt'}, ${(worstSide * 1000).toFixed(1)} ms/side`,
    '>= 2.5x, <= 15 ms/side',
    met3,
    target3
      .map(
        (r) =>
          `${r.n}: ${(r.perSide * 1000).toFixed(1)} ms/side, log ${r.crypt ? x(r.crypt) : '-'}, diff ${r.cryptDiff ? x(r.cryptDiff) : '-'} (git-crypt / do-nothing filter + sh textconv: log ${r.floorLog ? x(r.floorLog) : '-'}, diff ${r.floorDiff ? x(r.floorDiff) : '-'})`,
      )
      .join('; '),
    verdict(
      met3,
      worstSide <= 0.015 && misses3.length > 0 && floor3 < 2.5,
      `git-crypt / do-nothing filter ${x(floor3)} at best`,
    ),
  )
}

// Case ct: textconv of `worktree: ciphertext` secrets, which must decrypt (target 3, reported separately).
if (wanted('ct')) {
  const HISTORY = quick ? 10 : 50
  let dir = null
  try {
    dir = await makeRepo('seal', 5, 'ct', 'txt', config('secrets/**', '        worktree: ciphertext\n', 2))
  } catch {
    console.log('ct         skipped: this build has no `worktree: ciphertext` (issue 14)')
  }
  if (dir) {
    // Plaintext written into a ciphertext work tree: stored encrypted, and refused by the guard
    // (the bench only needs the history, so it skips the hook).
    sh(dir, 'git add secrets 2>/dev/null && git commit -qm files --no-verify')
    for (let c = 0; c < HISTORY; c++) {
      // The work tree holds ciphertext: change the secret the way a user would, with git-seal edit's
      // effect (new ciphertext staged directly).
      const blob = sh(
        dir,
        `printf 'V=${c}\\n' | ${process.execPath} ${bundle} clean --worktree=ciphertext secrets/s${c % 5}.txt 2>/dev/null | git hash-object -w --stdin`,
      ).trim()
      sh(
        dir,
        `git update-index --cacheinfo 100644,${blob},secrets/s${c % 5}.txt && git commit -qm "ct ${c}" --no-verify`,
      )
    }
    const log = await measure(async () => dir, `git log -p -${HISTORY} >/dev/null`)
    const raw = await measure(async () => dir, `git log -p --no-textconv -${HISTORY} >/dev/null`)
    const perSide = (log - raw) / (2 * HISTORY)
    // The floor of a side: a fresh Node process that loads node:crypto and decrypts one file
    // (bench/crypto-floor.mjs first checkout), with no code of its own to load.
    const floorSide = await measure(
      async () => work,
      `${process.execPath} ${cryptoFloorScript} first checkout >/dev/null`,
      quick ? 3 : 15,
    )
    row(
      'ct',
      `git log -p, ${HISTORY} commits of ciphertext work trees`,
      { seal: log, plain: raw, floor: floorSide },
      `${(perSide * 1000).toFixed(1)} ms/side = ${x(perSide / nodeStart)} node -e ''; floor column: one Node process loading node:crypto and decrypting one file, ${x(floorSide / nodeStart)} node -e ''`,
    )
    const met = perSide / nodeStart <= 1.4
    target(
      '3ct',
      "textconv per side for `worktree: ciphertext` secrets / node -e ''",
      x(perSide / nodeStart),
      '<= 1.4x',
      met,
      `floor (a Node process loading node:crypto and decrypting one file): ${x(floorSide / nodeStart)}`,
      verdict(met, floorSide / nodeStart > 1.4, `${x(floorSide / nodeStart)} node -e ''`),
    )
  }
}

// Case bulk: add, fresh checkout and status after touch of 1,000 and 10,000 secrets (target 4).
if (wanted('bulk')) {
  const SIZES = quick ? [100] : [1000, 10000]
  const target4 = []
  /** The median of the X25519 ms the least age filter's runs logged since the last call (its main thread's). */
  const x25519Logged = (dir) => {
    const log = path.join(dir, '.git', 'x25519.log')
    const ms = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').map(Number) : []
    fs.rmSync(log, { force: true })
    return ms.length ? median(ms) / 1000 : 0
  }
  for (const n of SIZES) {
    const kinds = ['plain', 'floor', 'agefloor', 'seal', ...(haveGitCrypt ? ['crypt'] : [])]
    const t = {}
    const x25519 = {}
    for (const kind of kinds) {
      const runs = kind === 'crypt' && n >= 10000 ? 1 : RUNS
      const repos = []
      t[kind] = {}
      t[kind].add = await measure(
        async (i) => {
          repos[i] = await makeRepo(kind, n, `add${i}`)
          return repos[i]
        },
        'git add secrets',
        runs,
      )
      // Each add ran in a repository of its own: their logs, read one by one.
      if (kind === 'agefloor') x25519.add = median(repos.map(x25519Logged))
      const dir = repos[0]
      sh(dir, 'git commit -qm files')
      // The commit may clean files again (racily clean ones): not the checkout's runs.
      if (kind === 'agefloor') x25519Logged(dir)
      t[kind].checkout = await measure(
        async () => {
          await fs.rm(path.join(dir, 'secrets'), { recursive: true })
          return dir
        },
        'git checkout -- secrets',
        runs,
      )
      if (kind === 'agefloor') {
        x25519.checkout = x25519Logged(dir)
        // Not for status: it encrypts every touched file again (and git then sees them all
        // modified), where git-seal answers with the stored blobs: other work, not a floor.
        continue
      }
      t[kind].status = await measure(
        async () => {
          sh(dir, 'find secrets -type f -exec touch -d "+5 seconds" {} +')
          return dir
        },
        'git status --porcelain',
        runs,
      )
    }
    // The floor: the least age filter in Node (bench/age-floor-filter.mjs: git's protocol, age's
    // crypto with node:crypto, headers made ahead on a worker thread as git-seal does, nothing
    // else), and the same with the X25519 its main thread still did credited to a second core
    // in full (for checkout, more than any filter could do: each file's exchange needs that file).
    for (const op of ['add', 'checkout', 'status']) {
      const floorAge = op === 'status' ? NaN : t.agefloor[op] - x25519[op]
      const floorNotes =
        op === 'status'
          ? ''
          : `; the least age filter ${t.agefloor[op].toFixed(3)} s = ${x(t.agefloor[op] / t.floor[op])}, its main thread's X25519 (${(x25519[op] * 1000).toFixed(0)} ms) credited to another core ${x(floorAge / t.floor[op])}; git-seal / the least age filter ${x(t.seal[op] / t.agefloor[op])}`
      row(
        `bulk:${n}`,
        `${op} (${n} secrets)`,
        { seal: t.seal[op], plain: t.plain[op], floor: t.floor[op], crypt: t.crypt?.[op] },
        `${x(t.seal[op] / t.floor[op])} the do-nothing filter${t.crypt ? `; git-crypt/git-seal ${x(t.crypt[op] / t.seal[op])}` : ''}; +${(((t.seal[op] - t.floor[op]) / n) * 1000).toFixed(3)} ms/secret over it${floorNotes}`,
      )
      if (op !== 'status')
        target4.push({
          n,
          op,
          floor: t.seal[op] / t.floor[op],
          crypt: t.crypt ? t.crypt[op] / t.seal[op] : undefined,
          floorAge: floorAge / t.floor[op],
          cryptFloor: t.crypt ? t.crypt[op] / floorAge : undefined,
        })
    }
  }
  const worstFloor = Math.max(...target4.map((r) => r.floor))
  const crypts = target4.flatMap((r) => (r.crypt === undefined ? [] : [r.crypt]))
  const worstCrypt = crypts.length ? Math.min(...crypts) : NaN
  const met4 = worstFloor <= 1.3 && worstCrypt >= 15
  // Unreachable only when every ratio that misses has a floor that misses too.
  const misses4 = target4.flatMap((r) => [
    ...(r.floor > 1.3 ? [r.floorAge > 1.3] : []),
    ...(r.crypt !== undefined && r.crypt < 15 ? [r.cryptFloor !== undefined && r.cryptFloor < 15] : []),
  ])
  const floor4 = Math.min(...target4.map((r) => r.floorAge))
  target(
    4,
    'bulk add and checkout: git-seal / do-nothing filter, and git-crypt / git-seal',
    `${x(worstFloor)}, ${crypts.length ? x(worstCrypt) : 'no git-crypt'}`,
    '<= 1.3x, >= 15x',
    met4,
    `${target4.map((r) => `${r.op}@${r.n} ${x(r.floor)}${r.crypt ? `/${x(r.crypt)}` : ''}`).join(', ')}; floor (the least age filter, its main thread's X25519 credited to another core): ${target4.map((r) => `${r.op}@${r.n} ${x(r.floorAge)}${r.cryptFloor ? `/${x(r.cryptFloor)}` : ''}`).join(', ')}`,
    verdict(met4, misses4.length > 0 && misses4.every(Boolean), `${x(floor4)} the do-nothing filter at best`),
  )
}

// Case sops: 1,000 dotenv secrets in the SOPS format (git-seal only: git-crypt has no such format).
if (wanted('sops')) {
  const n = quick ? 100 : 1000
  const t = {}
  const repos = []
  t.add = await measure(async (i) => {
    repos[i] = await makeRepo('seal', n, `sops${i}`, 'env')
    return repos[i]
  }, 'git add secrets')
  const dir = repos[0]
  sh(dir, 'git commit -qm files')
  t.checkout = await measure(async () => {
    await fs.rm(path.join(dir, 'secrets'), { recursive: true })
    return dir
  }, 'git checkout -- secrets')
  t.status = await measure(async () => {
    sh(dir, 'find secrets -type f -exec touch -d "+5 seconds" {} +')
    return dir
  }, 'git status --porcelain')
  for (const op of ['add', 'checkout', 'status'])
    row(
      `sops:${n}`,
      `${op} (${n} SOPS dotenv secrets)`,
      { seal: t[op] },
      `${((t[op] / n) * 1000).toFixed(3)} ms/secret`,
    )
}

// Case big: one 64 MiB secret (target 5).
if (wanted('big')) {
  const size = quick ? 16 * MiB : 64 * MiB
  const big = path.join(work, 'big.bin')
  sh(work, `head -c ${size} /dev/urandom > ${big}`)
  const prep = async (kind, tag) => {
    const dir = await makeRepo(kind, 0, `big-${tag}`)
    await fs.copyFile(big, path.join(dir, 'secrets', 'big.bin'))
    return dir
  }
  const kinds = ['seal', 'plain', 'floor']
  const runs = { add: {}, checkout: {} }
  const coDirs = {}
  for (const kind of kinds) {
    runs.add[kind] = []
    runs.checkout[kind] = []
    coDirs[kind] = await prep(kind, 'co')
    sh(coDirs[kind], 'git add secrets && git commit -qm big')
  }
  for (let i = 0; i < BIG_RUNS; i++)
    for (const kind of kinds) {
      const dir = await prep(kind, `a${i}`)
      runs.add[kind].push(time(dir, 'git add secrets'))
      await fs.rm(dir, { recursive: true, force: true })
      await fs.rm(path.join(coDirs[kind], 'secrets', 'big.bin'))
      runs.checkout[kind].push(time(coDirs[kind], 'git checkout -- secrets'))
    }
  const t = { add: {}, checkout: {} }
  for (const op of ['add', 'checkout']) for (const kind of kinds) t[op][kind] = median(runs[op][kind])
  const ageEnc = haveAge
    ? await measure(async () => work, `age -r ${recipient} -o /dev/null ${big}`, BIG_RUNS)
    : undefined
  const addRatio = ageEnc === undefined ? NaN : t.add.seal / (t.add.plain + ageEnc)
  const coRatio = t.checkout.seal / t.checkout.floor
  row(
    'big',
    `add ${size / MiB} MiB`,
    { seal: t.add.seal, plain: t.add.plain, floor: t.add.floor },
    ageEnc === undefined ? '(age CLI missing)' : `age -e alone ${f3(ageEnc)} s; ${x(addRatio)} (git + age)`,
  )
  row(
    'big',
    `checkout ${size / MiB} MiB`,
    { seal: t.checkout.seal, plain: t.checkout.plain, floor: t.checkout.floor },
    `${x(coRatio)} the do-nothing filter`,
  )
  target(
    5,
    `${size / MiB} MiB secret: add / (plain add + age CLI), checkout / do-nothing filter`,
    `${x(addRatio)}, ${x(coRatio)}`,
    '<= 1.5x, <= 1.5x',
    addRatio <= 1.5 && coRatio <= 1.5,
  )
}

// Case rss: the filter's own peak RSS for 256 and 512 MiB secrets, add and checkout (target 6).
if (wanted('rss') && haveTime) {
  const sizes = quick ? [32 * MiB] : [256 * MiB, 512 * MiB]
  const measured = []
  for (const size of sizes) {
    const dir = await makeRepo('seal', 0, `rss${size}`)
    const file = path.join(dir, 'secrets', 'big.bin')
    sh(dir, `head -c ${size} /dev/urandom > secrets/big.bin`)
    const add = filterRss(dir, 'git-seal', ['add', 'secrets/big.bin'])
    sh(dir, 'git commit -qm big')
    await fs.rm(file)
    const checkout = filterRss(dir, 'git-seal', ['checkout', '--', 'secrets/big.bin'])
    const floorDir = await makeRepo('floor', 0, `rss${size}`)
    sh(floorDir, `cp ${file} secrets/big.bin`)
    const floorAdd = filterRss(floorDir, 'floor', ['add', 'secrets/big.bin'])
    row(
      'rss',
      `peak RSS (MiB), ${size / MiB} MiB secret: add / checkout`,
      { seal: add, plain: checkout, floor: floorAdd },
      'git-seal column: add, plain column: checkout; floor: the do-nothing filter adding it',
    )
    measured.push({ size, add, checkout })
    await fs.rm(dir, { recursive: true, force: true })
    await fs.rm(floorDir, { recursive: true, force: true })
  }
  const worst = Math.max(...measured.flatMap((m) => [m.add, m.checkout]))
  target(
    6,
    'filter peak RSS, add and checkout',
    `${worst.toFixed(0)} MiB`,
    '<= 160 MiB',
    worst <= 160,
    measured.map((m) => `${m.size / MiB} MiB: add ${m.add.toFixed(0)}, checkout ${m.checkout.toFixed(0)}`).join('; '),
  )
}

// Case diff: git diff over 200 changed secrets (textconv start-up per file side).
if (wanted('diff')) {
  const n = quick ? 20 : 200
  const dir = await makeRepo('seal', n, 'diff')
  sh(dir, 'git add secrets && git commit -qm files')
  for (let i = 0; i < n; i++) await fs.appendFile(path.join(dir, 'secrets', `s${i}.txt`), 'CHANGED=1\n')
  const diff = await measure(async () => dir, 'git diff --no-ext-diff >/dev/null')
  const plainDiff = await measure(async () => dir, 'git diff --no-textconv --no-ext-diff >/dev/null')
  const perSide = (diff - plainDiff) / (2 * n)
  row(
    'diff',
    `git diff, ${n} secrets (${2 * n} sides)`,
    { seal: diff, plain: plainDiff },
    `textconv ${(perSide * 1000).toFixed(1)} ms/side (node -e '' ${(nodeStart * 1000).toFixed(1)} ms)`,
  )
}

// Case guard: the full guard over 5,000 staged files of which 1,000 are secrets.
if (wanted('guard')) {
  const dir = await makeRepo('seal', quick ? 100 : 1000, 'guard')
  await fs.mkdirp(path.join(dir, 'src'))
  for (let i = 0; i < (quick ? 400 : 4000); i++) await fs.writeFile(path.join(dir, 'src', `f${i}.txt`), `file ${i}\n`)
  sh(dir, 'git add .')
  const guard = await measure(async () => dir, `${process.execPath} ${bundle} guard`)
  row('guard', 'full guard, 5,000 staged / 1,000 secrets', { seal: guard }, 'target (earlier issue) <= 0.5 s')
}

// Case rekey: 1,000 secrets after adding a recipient.
if (wanted('rekey')) {
  const dir = await makeRepo('seal', quick ? 100 : 1000, 'rekey')
  sh(dir, 'git add secrets && git commit -qm files')
  const rekey = await measure(async (i) => {
    // a new key each run, so every run has every file to rekey
    const other = execFileSync(process.execPath, [bundle, 'keygen'], { env })
      .toString()
      .match(/age1\S+/)[0]
    await fs.writeFile(
      path.join(dir, '.gitseal.yaml'),
      config('secrets/**').replace('    secrets:', `        - name: extra${i}\n          key: ${other}\n    secrets:`),
    )
    return dir
  }, `${process.execPath} ${bundle} rekey 2>/dev/null`)
  row('rekey', 'rekey 1,000 secrets (+1 recipient)', { seal: rekey }, 'target (earlier issue) <= 2 s')
}

// Case scan: git commit (the guard as pre-commit hook) over 5,000 staged files of which 1,000
// are secrets, with the credential scan off and on ('scan: warn': 4,000 files through the
// detector). Skipped by a build without `scan:`.
if (wanted('scan')) {
  const dir = await makeRepo('seal', quick ? 100 : 1000, 'scan')
  await fs.mkdirp(path.join(dir, 'src'))
  for (let i = 0; i < (quick ? 400 : 4000); i++) await fs.writeFile(path.join(dir, 'src', `f${i}.txt`), `file ${i}\n`)
  sh(dir, 'git add .')
  const commitWith = async (mode) => {
    await fs.writeFile(path.join(dir, '.gitseal.yaml'), config('secrets/**') + `scan: ${mode}\n`)
    sh(dir, 'git add .gitseal.yaml')
    // Each run commits the same index again: the previous run's commit is undone first.
    const t = await measure(async (i) => {
      if (i > 0) sh(dir, 'git reset -q --soft HEAD~1')
      return dir
    }, 'git commit -qm bench')
    sh(dir, 'git reset -q --soft HEAD~1')
    return t
  }
  let off
  try {
    off = await commitWith('off')
  } catch {
    console.log('scan       skipped: this build has no `scan:` (the credential scan)')
  }
  if (off !== undefined) {
    const on = await commitWith('warn')
    row('scan', 'commit, 5,000 staged / 1,000 secrets, scan off', { seal: off }, 'the full guard (a staged secret)')
    row('scan', 'commit, the same, scan: warn', { seal: on }, `scan on / off = ${x(on / off)}`)
  }
}

const loadAfter = os.loadavg()
console.log(
  `\nload average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(2)).join(' ')}`,
)
console.log(`targets met: ${targets.filter((t) => t.met).length} of ${targets.length}`)

/** Why the targets this round did not meet are not met: judgement, written next to the numbers it reads. */
const UNMET_NOTES = [
  '## Targets not met, and what would meet them',
  '',
  'A target reads "unreachable" only when its floor, measured in this run, misses the limit too; otherwise "not met".',
  "The floors: the do-nothing Node filter (bench/floor-filter.mjs), with git-seal's sh textconv for `git diff` and",
  '`git log -p`; the least crypto work for one secret in a fresh process (bench/crypto-floor.mjs: one X25519',
  'exchange, the HKDFs, the header HMAC and ChaCha20-Poly1305 of the file key and content, with node:crypto); and',
  'for bulk, the least age filter (bench/age-floor-filter.mjs), timed with git like the others.',
  '',
  "- 2 (one-secret commands <= 1.4x `node -e ''`): the do-nothing filter alone takes 1.1-1.3x, and loading",
  "  node:crypto and doing one secret's crypto in a fresh process adds a few ms (the floor in the details). Runs on",
  '  one machine differ by about 0.05x, so the margin is thin. A one-secret command starts no git child in the usual',
  "  case: HEAD's listing is filed per commit and read from loose objects after a commit (src/git/head-tree.ts), the",
  "  conversion attributes come from git-seal's block where it alone decides them (src/git/block-attributes.ts), and",
  "  an edited secret's stored versions are neither read nor decrypted when a checked MAC proves the change",
  "  (src/seal/plaintext-macs.ts). What is left over the floor: git-seal's code (V8 code cache, src/startup/",
  '  code-cache.ts: ~2.5 ms to read, hash and deserialize, ~2 ms of top-level init), the key import, one',
  '  decryption or encryption, GC. More margin: the SOPS and plugin code out of the hot body into code-cached chunks',
  '  of their own; below the floor only a filter already running (a per-clone daemon the process filter hands',
  "  requests to over a socket) or a native filter (git-crypt's ~9 ms).",
  '- 3 (`git diff` of 1 to 10 secrets, >= 2.5x git-crypt): git starts the filter once per command to smudge the',
  '  index side, so any Node filter pays one Node start there; the floor row (the do-nothing filter with the sh',
  '  textconv) against git-crypt shows it. From about 100 file sides up (`git log -p` over 100 commits) git-seal is',
  '  faster than git-crypt by the ratio shown, at a few ms per side. What would meet it: the same as 2 (a running',
  '  daemon, or a native smudge).',
  "- 3ct (textconv of `worktree: ciphertext` secrets <= 1.4x `node -e ''`): one Node start per file side that must",
  '  decrypt; the floor is a Node process that loads node:crypto and decrypts one file. The code cache covers',
  "  textconv's entry too.",
  '- 4 (bulk add and checkout <= 1.3x the do-nothing filter, >= 15x git-crypt): the floor is the least age filter in',
  "  Node, timed with git in this run (bench/age-floor-filter.mjs: the do-nothing filter's protocol loop, age's crypto",
  '  with node:crypto for one X25519 recipient, headers made ahead on a worker thread as git-seal does; no config, no',
  '  attributes, no stored versions, no records), with the X25519 its main thread still did credited to a second core',
  "  in full. Checkout: that floor misses 1.3x (each file's exchange needs that file, so no thread can do it ahead;",
  "  git's delay capability was measured no faster): unreachable for any Node filter doing age's crypto with",
  "  node:crypto. Add: the floor comes near or under 1.3x (this run's figures in the table), and git-seal reaches",
  '  neither that nor 15x git-crypt at 1,000 where the floor does. Where the gap is (measured by hand, 10,000',
  "  secrets): not mostly the main thread's own work. Fed the same requests from a file, without git and without the",
  '  header worker, git-seal takes ~1.2 s against ~1.05 s for the least filter (~18 us more a file: the conversion',
  '  check, the stored versions, the blob id, the record, the MAC); timed with git the gap is ~60 us a file. The rest',
  "  is contention for two cores: V8 compiles about 0.44 s of optimized code for git-seal's larger request path",
  "  (0.15 s for the least filter) and the header worker needs ~0.9 s, beside git and the main thread's turns, and",
  "  git itself used ~0.2 s more CPU next to git-seal's filter for the same work (all before the next change). The",
  '  filter now runs those threads at a lower priority once a command passes 8 files (src/thread-priority.ts; in this',
  "  run's figures): 5-8% at 1,000 secrets, 2-3% at 10,000, by hand. Tried and not kept: V8",
  '  flags (Sparkplug or the interpreter only: faster at 1,000, a third slower at 10,000; Maglev, other tier-up',
  '  budgets, fewer compile threads: no gain), a one-chunk encryption path without the stream bookkeeping (no',
  "  measurable gain). What would meet add: a request path whose optimized code is as small as the floor's (fewer,",
  '  smaller functions on the common path of a new or edited file of an age rule, no deoptimizations: the main',
  '  request function is optimized three times over 10,000 files), each check made cheaper rather than dropped;',
  '  what would meet checkout: a native filter, or the limit relaxed to the measured floor.',
  '- 5 (64 MiB checkout <= 1.5x the do-nothing filter): a blob within 65 MiB is now decrypted once, its plaintext',
  '  held in memory while every chunk is authenticated (src/seal/smudge.ts, SMUDGE_HOLD_LIMIT), and its ciphertext',
  '  is not written to a spill file (a late failure answers with the stored blob, read back from git). What is left',
  "  over the do-nothing filter: the decryption itself (~40-60 ms for 64 MiB with node:crypto) and the plaintext's",
  '  fingerprint (HMAC-SHA256 of 64 MiB, ~40-80 ms; computed after the answer, but git waits for the filter to',
  '  exit). What would meet it if it stays over: fingerprinting on a second thread while the chunks arrive (the',
  '  plaintext is already in memory), or a native filter.',
  '- 6 (filter peak RSS <= 160 MiB): the hold limit is what keeps it; larger blobs take the two passes (about',
  '  110 MiB).',
  '',
]

if (full) {
  const lines = [
    '# Benchmarks',
    '',
    `Measured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)} (commit ${sh(root, 'git rev-parse --short HEAD').trim()}), repositories in ${benchBase}: ${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ${sh(work, 'git --version').trim()}${haveGitCrypt ? ', ' + sh(work, 'git-crypt --version 2>&1').trim() : ''}${haveAge ? ', age ' + sh(work, 'age --version').trim() : ''}. Medians of ${RUNS} run(s) (${SHORT_RUNS} for the one-secret commands, ${NODE_RUNS} for node -e ''). Load average before the run ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(2)).join(' ')}.`,
    '',
    '## Targets (issue 16)',
    '',
    '| target | what | measured | limit | met | details |',
    '|---|---|---|---|---|---|',
    ...targets.map(
      (t) => `| ${t.id} | ${t.what} | ${t.value} | ${t.limit} | ${t.met ? 'yes' : `**${t.state}**`} | ${t.notes} |`,
    ),
    '',
    '## Measurements',
    '',
    '| case | what | git-seal | plain git | do-nothing filter | git-crypt | notes |',
    '|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.caseName} | ${r.what} | ${f3(r.seal)} | ${f3(r.plain)} | ${f3(r.floor)} | ${f3(r.crypt)} | ${r.notes} |`,
    ),
    '',
    '## Reading the numbers',
    '',
    "- Times are seconds of wall clock for the whole git command; `node -e ''` is a bare Node start on the same machine.",
    "  Target 2 compares each one-secret command with `node -e ''` runs made alternately with it (the machine's speed",
    '  drifts over the run; the row `node` is the median taken at its start).',
    '- small:N: a repository with N secrets, 20 other files and a history of commits each changing one secret. The commit',
    '  stages README.md only, a second after the last checkout (within a second of one, git re-cleans the files it wrote,',
    '  their timestamps being racy: one filter start in any command); add/checkout/status touch one secret; the switch',
    '  goes to a branch where every secret differs.',
    "- The do-nothing filter (bench/floor-filter.mjs) speaks git's filter protocol in Node and only reverses the bytes of",
    '  each packet: what any long-running filter in Node costs before doing any work.',
    '- The least age filter (bench/age-floor-filter.mjs) is that loop doing what age needs and nothing more: real age',
    "  files the age CLI decrypts, headers made ahead on a worker thread; it logs its main thread's X25519 time, which",
    '  the bulk rows credit to a second core.',
    "- Peak RSS is the filter's own (`/usr/bin/time -f %M` around the configured process command), in MiB.",
    '',
    ...UNMET_NOTES,
  ]
  await fs.mkdirp(path.join(root, 'docs'))
  await fs.writeFile(path.join(root, 'docs', 'benchmarks.md'), lines.join('\n'))
  console.log('wrote docs/benchmarks.md')
} else {
  console.log('a partial run (BENCH_QUICK or BENCH_CASES): docs/benchmarks.md left as it was')
}
await fs.rm(work, { recursive: true, force: true })
