/**
 * The test suite's hooks into git-seal, read here and nowhere else: environment variables named
 * GIT_SEAL_TEST_*. Production modules take the behaviour as options (SealContext's header
 * supply, the filter's fault injection); only the places that build those options ask this
 * module. None of them changes what git-seal stores or prints on success.
 */

/**
 * GIT_SEAL_TEST_PREWRAP: `wait` starts the header worker at once and takes every header from
 * it (so a short test exercises the worker); `off` runs without a worker; unset, the default.
 */
export type PrewrapTestMode = 'wait' | 'off' | null

/** What the tests asked for. */
export interface TestHooks {
  prewrap: PrewrapTestMode
  /**
   * GIT_SEAL_TEST_FAULT=kill-in-clean or kill-in-smudge: the filter process kills itself with
   * SIGKILL in the middle of that request (the suite's fault matrix, test/e2e/faults.test.ts);
   * kill-after-spill: it does so right after a spill file was first written (src/seal/spill.ts).
   */
  killIn: 'clean' | 'smudge' | 'spill' | null
}

/** Reads the hooks from an environment; unknown values mean no hook. */
export function testHooks(env: NodeJS.ProcessEnv = process.env): TestHooks {
  const prewrap = env['GIT_SEAL_TEST_PREWRAP']
  const fault = env['GIT_SEAL_TEST_FAULT']
  return {
    prewrap: prewrap === 'wait' || prewrap === 'off' ? prewrap : null,
    killIn:
      fault === 'kill-in-clean'
        ? 'clean'
        : fault === 'kill-in-smudge'
          ? 'smudge'
          : fault === 'kill-after-spill'
            ? 'spill'
            : null,
  }
}
