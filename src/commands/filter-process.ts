/**
 * `git-seal filter-process`: the long-running filter git starts once per command
 * (filter.git-seal.process). stdout carries only the protocol.
 */
import { handshake, serve, type FilterRequest } from '../filter/protocol.js'
import { PktLineReader, PktLineWriter, syncFdSource } from '../filter/pktline.js'
import { SealContext } from '../seal/context.js'
import { cleanFile } from '../seal/clean.js'
import { ConversionCheck, keepAsStored, refuseClean, type Conversion } from '../seal/conversions.js'
import { DelayedSmudge } from '../seal/plugin-batch.js'
import { error, reportError, warning, writeAllvSync } from '../ui.js'
import { parseDriverArgs } from '../seal/driver.js'
import { testHooks } from '../test-hooks.js'
import { lowerBackgroundThreads } from '../thread-priority.js'

export function run(args: string[] = []): Promise<number> {
  const ciphertextDriver = parseDriverArgs(args, 'filter-process')
  return SealContext.serve(async (ctx) => {
    ctx.ciphertextDriver = ciphertextDriver
    const reader = new PktLineReader(syncFdSource(0))
    const writer = new PktLineWriter((parts) => writeAllvSync(1, parts))
    // delay: a checkout batches the files only a plugin key opens (seal/plugin-batch.ts).
    const capabilities = await handshake(reader, writer, ['clean', 'smudge', 'delay'])
    const delayed = new DelayedSmudge(ctx)
    // Attributes that rewrite ciphertext, asked of one check-attr child for the whole command.
    const conversions = new ConversionCheck(ctx.root, ctx.paths, ctx.env, () => ctx.stored.indexPathsWithoutConflicts())
    let attributesUnknown = false
    // Fault injection for the test suite's fault matrix: die like a SIGKILL mid-request.
    const killIn = testHooks().killIn
    let requests = 0
    try {
      await serve(
        reader,
        writer,
        capabilities,
        async (request: FilterRequest, content) => {
          if (killIn === request.command) process.kill(process.pid, 'SIGKILL')
          // A bulk command: from its 8th file on, background threads yield to this one.
          if (++requests === 8) lowerBackgroundThreads()
          ctx.stored.beginRequest()
          try {
            if (request.command === 'clean') {
              // Unknown attributes fail the clean: storing under them could corrupt the blob.
              const found = await conversions.of(request.pathname)
              if (found.length > 0) refuseClean(ctx.root, ctx.paths.commonDir, request.pathname, found, ctx.env)
              return await cleanFile(ctx, request.pathname, content)
            }
            let found: Conversion[] = []
            try {
              found = await conversions.of(request.pathname)
            } catch (e) {
              // Never break a checkout over it: a blob git rewrote fails to decrypt and is kept anyway.
              if (!attributesUnknown)
                warning(
                  `cannot read the attributes of ${request.pathname} (${(e as Error).message}); decrypting without that check`,
                )
              attributesUnknown = true
            }
            if (found.length > 0)
              return await keepAsStored(ctx, request.pathname, found, content, request.keys.get('blob'))
            return await delayed.smudge(request, content)
          } catch (e) {
            reportError(e)
            if (request.command === 'clean') error(`${request.pathname}: not staged, so no plaintext reaches git`)
            throw e
          }
        },
        () => ctx.runDeferred(),
        () => delayed.available(),
        (request, e) => {
          reportError(e)
          error(`${request.pathname}: its answer could not be read back; git discards it`)
        },
      )
    } finally {
      conversions.close()
    }
  })
}
