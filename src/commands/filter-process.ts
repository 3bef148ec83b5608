/**
 * `git-seal filter-process`: the long-running filter git starts once per command
 * (filter.git-seal.process). stdout carries only the protocol.
 */
import { handshake, serve, type FilterRequest } from '../filter/protocol.js'
import { PktLineReader, PktLineWriter, syncFdSource } from '../filter/pktline.js'
import { SealContext } from '../seal/context.js'
import { cleanFile } from '../seal/clean.js'
import { smudgeFile } from '../seal/smudge.js'
import { error, reportError, writeAllvSync } from '../ui.js'

export function run(): Promise<number> {
  return SealContext.serve(async (ctx) => {
    const reader = new PktLineReader(syncFdSource(0))
    const writer = new PktLineWriter((parts) => writeAllvSync(1, parts))
    const capabilities = await handshake(reader, writer)
    // Fault injection for the test suite's fault matrix: die like a SIGKILL mid-request.
    const fault = process.env['GIT_SEAL_TEST_FAULT']
    await serve(reader, writer, capabilities, async (request: FilterRequest, content) => {
      if (fault === `kill-in-${request.command}`) process.kill(process.pid, 'SIGKILL')
      try {
        if (request.command === 'clean') return await cleanFile(ctx, request.pathname, content)
        return await smudgeFile(ctx, request.pathname, content, request.keys.get('blob'))
      } catch (e) {
        reportError(e)
        if (request.command === 'clean') error(`${request.pathname}: not staged, so no plaintext reaches git`)
        throw e
      }
    }, () => ctx.runDeferred())
  })
}
