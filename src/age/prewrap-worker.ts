/**
 * The second thread of src/age/prewrap.ts: makes age headers ahead for the recipient sets the
 * filter asks for, and posts them back in batches. Its own entry point (dist/prewrap-worker.mjs).
 *
 * Protocol, on the MessagePort passed in workerData.port:
 *   in:  { set: string, recipients: string[], count: number }  make `count` more for this set
 *   out: { set: string, data: ArrayBuffer, sizes: number[] }   packed headers (packPrepared)
 *        { set: string, failed: true }                          the set cannot be wrapped here
 */
import { workerData, type MessagePort } from 'node:worker_threads'
import { packPrepared, parseRecipient, prepareHeader, type PreparedHeader, type Recipient } from './index.js'
import { lowerThisThread } from '../thread-priority.js'

const BATCH = 16
// It fills the time git and the request path leave idle (src/thread-priority.ts).
lowerThisThread()
const port = (workerData as { port: MessagePort }).port
const parsed = new Map<string, Recipient[]>()

port.on('message', (message: { set: string; recipients: string[]; count: number }) => {
  let recipients = parsed.get(message.set)
  try {
    if (!recipients) {
      recipients = message.recipients.map(parseRecipient)
      parsed.set(message.set, recipients)
    }
    for (let made = 0; made < message.count; ) {
      const batch: PreparedHeader[] = []
      for (; batch.length < BATCH && made < message.count; made++) batch.push(prepareHeader(recipients))
      const { data, sizes } = packPrepared(batch)
      port.postMessage({ set: message.set, data, sizes }, [data])
    }
  } catch {
    // The request path wraps inline and reports any error itself, in its own words.
    port.postMessage({ set: message.set, failed: true })
  }
})
