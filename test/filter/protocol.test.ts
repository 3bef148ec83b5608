// A fake git drives the protocol layer: handshake, requests, unknown keys, errors.
import { describe, expect, it } from 'vitest'
import { PktLineError, PktLineReader, PktLineWriter } from '../../src/filter/pktline.js'
import { DELAYED, handshake, serve, type FilterHandler } from '../../src/filter/protocol.js'

const pkt = (s: string): string => (Buffer.byteLength(s) + 4).toString(16).padStart(4, '0') + s
const line = (s: string): string => pkt(s + '\n')
const HANDSHAKE =
  line('git-filter-client') +
  line('version=2') +
  '0000' +
  line('capability=clean') +
  line('capability=smudge') +
  line('capability=delay') +
  '0000'
const REPLY =
  line('git-filter-server') + line('version=2') + '0000' + line('capability=clean') + line('capability=smudge') + '0000'

function request(command: string, path: string, content: string, extra: string[] = []): string {
  return (
    line(`command=${command}`) +
    line(`pathname=${path}`) +
    extra.map(line).join('') +
    '0000' +
    (content ? pkt(content) : '') +
    '0000'
  )
}

async function* from(s: string): AsyncGenerator<Uint8Array> {
  yield Buffer.from(s, 'utf8')
}

async function session(input: string, handler: FilterHandler): Promise<string> {
  const out: Buffer[] = []
  const reader = new PktLineReader(from(input))
  const writer = new PktLineWriter((parts) => out.push(...parts.map((p) => Buffer.from(p))))
  const caps = await handshake(reader, writer)
  await serve(reader, writer, caps, handler)
  return Buffer.concat(out).toString('utf8')
}

const upper: FilterHandler = async (req, content) => {
  const parts: Uint8Array[] = []
  for await (const c of content) parts.push(c)
  return [Buffer.from(`${req.command}:${Buffer.concat(parts).toString('latin1').toUpperCase()}`)]
}

describe('filter protocol', () => {
  it('answers the handshake with only the capabilities it supports', async () => {
    expect(await session(HANDSHAKE, upper)).toBe(REPLY)
  })

  it('serves clean and smudge requests and ignores unknown keys', async () => {
    const input =
      HANDSHAKE +
      request('clean', 'a b/ü.txt', 'abc') +
      request('smudge', 'x', 'def', ['blob=0123', 'treeish=abc', 'future-key=1'])
    const expected =
      REPLY +
      line('status=success') +
      '0000' +
      pkt('clean:ABC') +
      '0000' +
      '0000' +
      line('status=success') +
      '0000' +
      pkt('smudge:DEF') +
      '0000' +
      '0000'
    expect(await session(input, upper)).toBe(expected)
  })

  it('passes request keys to the handler', async () => {
    let seen: Map<string, string> | undefined
    await session(HANDSHAKE + request('smudge', 'p', 'x', ['blob=abcd', 'ref=refs/heads/main']), async (req) => {
      seen = req.keys
      return [Buffer.from('y')]
    })
    expect(seen?.get('blob')).toBe('abcd')
    expect(seen?.get('ref')).toBe('refs/heads/main')
    expect(seen?.get('pathname')).toBe('p')
  })

  it('answers status=error when the handler throws, and carries on with the next file', async () => {
    const input = HANDSHAKE + request('clean', 'bad', 'x'.repeat(100)) + request('clean', 'good', 'y')
    const out = await session(input, async (req, content) => {
      if (req.pathname === 'bad') {
        // reads one packet, then fails: the rest must be drained
        await content[Symbol.asyncIterator]().next()
        throw new Error('nope')
      }
      return upper(req, content)
    })
    expect(out).toBe(
      REPLY + line('status=error') + '0000' + line('status=success') + '0000' + pkt('clean:Y') + '0000' + '0000',
    )
  })

  it('answers status=error for a command it did not agree to', async () => {
    const out = await session(HANDSHAKE + request('list_available_blobs', 'x', ''), upper)
    expect(out).toBe(REPLY + line('status=error') + '0000')
  })

  it('runs afterAnswer once per request, after its answer is written and before the next is read', async () => {
    const events: string[] = []
    const out: Buffer[] = []
    const input = HANDSHAKE + request('clean', 'a', 'x') + request('clean', 'b', '') + request('smudge', 'c', 'z')
    const reader = new PktLineReader(from(input))
    const writer = new PktLineWriter((parts) => {
      out.push(...parts.map((p) => Buffer.from(p)))
      events.push(`wrote ${Buffer.concat(out).toString('latin1').split('status=').length - 1}`)
    })
    const caps = await handshake(reader, writer)
    events.length = 0
    await serve(
      reader,
      writer,
      caps,
      async (req, content) => {
        events.push(`handled ${req.pathname}`)
        return upper(req, content)
      },
      () => events.push('after'),
    )
    expect(events).toEqual([
      'handled a',
      'wrote 1',
      'after',
      'handled b',
      'wrote 2',
      'after',
      'handled c',
      'wrote 3',
      'after',
    ])
  })

  it('writes an empty file as no content packets', async () => {
    const out = await session(HANDSHAKE + request('clean', 'empty', ''), async () => [new Uint8Array()])
    expect(out).toBe(REPLY + line('status=success') + '0000' + '0000' + '0000')
  })

  it.each([
    ['a client that is not git', line('git-filter-cli') + line('version=2') + '0000', 'expected "git-filter-client"'],
    ['only version 1', line('git-filter-client') + line('version=1') + '0000', 'expected git to offer version=2'],
    [
      'a capability list cut short',
      line('git-filter-client') + line('version=2') + '0000' + line('capability=clean'),
      'got end of stream',
    ],
    ['a request without pathname', HANDSHAKE + line('command=clean') + '0000', 'expected command= and pathname='],
    ['a request line without =', HANDSHAKE + line('command clean') + '0000', 'expected key=value'],
    [
      'content cut short',
      HANDSHAKE + line('command=clean') + line('pathname=a') + '0000' + pkt('abc'),
      'expected file content or a flush packet',
    ],
  ])('fails with a clear protocol error on %s', async (_name, input, message) => {
    const run = session(input, upper)
    await expect(run).rejects.toThrow(PktLineError)
    await expect(session(input, upper)).rejects.toThrow(message)
  })

  it('ends cleanly when git closes the stream between requests', async () => {
    expect(await session(HANDSHAKE + request('clean', 'a', 'b'), upper)).toContain('clean:B')
  })

  it('with delay: holds files git allows to delay, lists them when asked, then serves them, and ends with an empty list', async () => {
    const out: Buffer[] = []
    const reader = new PktLineReader(
      from(
        HANDSHAKE +
          request('smudge', 'a', 'ax', ['can-delay=1']) +
          request('smudge', 'b', 'bx', ['can-delay=1']) +
          // an answer of "delayed" where git did not offer it is an error
          request('smudge', 'c', 'cx') +
          line('command=list_available_blobs') +
          '0000' +
          request('smudge', 'a', '') +
          request('smudge', 'b', '') +
          line('command=list_available_blobs') +
          '0000',
      ),
    )
    const writer = new PktLineWriter((parts) => out.push(...parts.map((p) => Buffer.from(p))))
    const caps = await handshake(reader, writer, ['clean', 'smudge', 'delay'])
    expect([...caps]).toEqual(['clean', 'smudge', 'delay'])
    const held = new Map<string, string>()
    const listed: string[] = []
    await serve(
      reader,
      writer,
      caps,
      async (req, content) => {
        const parts: Uint8Array[] = []
        for await (const c of content) parts.push(c)
        const text = Buffer.concat(parts).toString()
        if (held.has(req.pathname) && text === '') return [Buffer.from(held.get(req.pathname)!.toUpperCase())]
        held.set(req.pathname, text)
        return DELAYED
      },
      undefined,
      () => {
        const ready = [...held.keys()].filter((p) => p !== 'c' && !listed.includes(p))
        listed.push(...ready)
        return ready
      },
    )
    const reply =
      line('git-filter-server') +
      line('version=2') +
      '0000' +
      line('capability=clean') +
      line('capability=smudge') +
      line('capability=delay') +
      '0000'
    expect(Buffer.concat(out).toString()).toBe(
      reply +
        line('status=delayed') +
        '0000' +
        line('status=delayed') +
        '0000' +
        line('status=error') +
        '0000' +
        line('pathname=a') +
        line('pathname=b') +
        '0000' +
        line('status=success') +
        '0000' +
        line('status=success') +
        '0000' +
        pkt('AX') +
        '0000' +
        '0000' +
        line('status=success') +
        '0000' +
        pkt('BX') +
        '0000' +
        '0000' +
        '0000' +
        line('status=success') +
        '0000',
    )
  })
})

describe('answers read as they are sent', () => {
  it('an answer that fails while it is read back: the content so far, then status=error; the next file is served', async () => {
    const input = HANDSHAKE + request('smudge', 'big', 'x') + request('smudge', 'next', 'y')
    const errors: string[] = []
    const out: Buffer[] = []
    const reader = new PktLineReader(from(input))
    const writer = new PktLineWriter((parts) => out.push(...parts.map((p) => Buffer.from(p))))
    const caps = await handshake(reader, writer)
    let disposed = false
    await serve(
      reader,
      writer,
      caps,
      async (req, content) => {
        for await (const _ of content) void _
        if (req.pathname === 'next') return [Buffer.from('fine')]
        return {
          *[Symbol.iterator]() {
            try {
              yield Buffer.from('part one')
              throw new Error('spill file gone')
            } finally {
              disposed = true
            }
          },
        }
      },
      undefined,
      undefined,
      (req, e) => errors.push(`${req.pathname}: ${(e as Error).message}`),
    )
    const expected =
      REPLY +
      line('status=success') +
      '0000' +
      pkt('part one') +
      '0000' +
      line('status=error') +
      '0000' +
      line('status=success') +
      '0000' +
      pkt('fine') +
      '0000' +
      '0000'
    expect(Buffer.concat(out).toString('utf8')).toBe(expected)
    expect(errors).toEqual(['big: spill file gone'])
    expect(disposed).toBe(true)
  })
})
