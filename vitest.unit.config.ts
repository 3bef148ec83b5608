// `npm run test:unit`: the fast run, seconds on two idle cores, for while you work. Everything
// but what takes long or needs outside tools; `npm test` runs all of it (and CI does).
import { configDefaults, defineConfig, mergeConfig } from 'vitest/config'
import base from './vitest.config.js'

export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: [
        ...configDefaults.exclude,
        // real git in temp repositories, git-seal's bundle run the way git runs it: minutes
        'test/e2e/**',
        // the command-line transcripts: one bundle start per transcript and per help
        'test/cli/golden.test.ts',
        // generated cases by the hundred (fast-check)
        'test/**/property.test.ts',
        // other implementations: the age CLI, rage and typage, sops's own files
        'test/**/interop.test.ts',
        // the header worker: waits on worker threads by design
        'test/age/prewrap.test.ts',
      ],
    },
  }),
)
