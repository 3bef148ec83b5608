import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  FLUSH,
  MAX_PAYLOAD,
  PktLineError,
  PktLineReader,
  PktLineWriter,
  type Packet,
} from '../../src/filter/pktline.js'

const enc = (s: string): Uint8Array => Buffer.from(s, 'latin1')

async function* chunksOf(bytes: Uint8Array, sizes: number[] = []): AsyncGenerator<Uint8Array> {
  let offset = 0
  let i = 0
  while (offset < bytes.length) {
    const size = sizes.length ? Math.max(1, sizes[i++ % sizes.length]!) : bytes.length
    yield bytes.subarray(offset, offset + size)
    offset += size
  }
}

async function readAll(bytes: Uint8Array, sizes?: number[]): Promise<(string | 'FLUSH')[]> {
  const reader = new PktLineReader(chunksOf(bytes, sizes))
  const out: (string | 'FLUSH')[] = []
  for (;;) {
    const p = await reader.read()
    if (p === null) return out
    out.push(p === FLUSH ? 'FLUSH' : Buffer.from(p).toString('latin1'))
  }
}

describe('pkt-line reader', () => {
  it.each([
    ['a text packet', '000ahello\n', ['hello\n']],
    ['a flush', '0000', ['FLUSH']],
    ['packets then flush', '0008abcd0005x0000', ['abcd', 'x', 'FLUSH']],
    ['empty stream', '', []],
    ['uppercase hex is not git', '000Aabcdef', 'hex'],
    ['a delimiter packet', '0001', 'special packet 0001'],
    ['a length of 3', '0003', 'special packet'],
    ['a length over 65520', 'fff1', 'exceeds the maximum'],
    ['a truncated length', '00', 'got end of stream after 2 byte'],
    ['a truncated payload', '0010abc', 'expected 12 byte(s) of pkt-line payload'],
    ['junk', 'hello world', 'expected a 4-digit hex'],
  ])('%s', async (_name, input, expected) => {
    if (typeof expected === 'string') {
      await expect(readAll(enc(input))).rejects.toThrow(PktLineError)
      await expect(readAll(enc(input))).rejects.toThrow(expected)
    } else {
      expect(await readAll(enc(input))).toEqual(expected)
    }
  })

  it('accepts the largest payload and reads it across chunk boundaries', async () => {
    const payload = Buffer.alloc(MAX_PAYLOAD, 7)
    const bytes = Buffer.concat([enc('fff0'), payload, enc('0000')])
    const packets = await readAll(bytes, [1, 3, 4096, 7])
    expect(packets).toHaveLength(2)
    expect(packets[0]).toHaveLength(MAX_PAYLOAD)
    expect(packets[1]).toBe('FLUSH')
  })
})

describe('pkt-line writer', () => {
  function written(fn: (w: PktLineWriter) => void): string {
    const out: Uint8Array[] = []
    const w = new PktLineWriter((parts) => out.push(...parts.map((p) => Buffer.from(p))))
    fn(w)
    w.send()
    return Buffer.concat(out).toString('latin1')
  }

  it.each([
    ['text adds LF', (w: PktLineWriter) => w.text('status=success'), '0013status=success\n'],
    ['flush', (w: PktLineWriter) => w.flush(), '0000'],
    ['empty content writes nothing', (w: PktLineWriter) => w.content(new Uint8Array()), ''],
  ])('%s', (_name, fn, expected) => {
    expect(written(fn)).toBe(expected)
  })

  it('refuses empty and oversized packets', () => {
    const w = new PktLineWriter(() => {})
    expect(() => w.packet(new Uint8Array())).toThrow('flush')
    expect(() => w.packet(new Uint8Array(MAX_PAYLOAD + 1))).toThrow('exceeds')
  })

  it('splits content at 65516 bytes', () => {
    const out = written((w) => w.content(new Uint8Array(MAX_PAYLOAD * 2 + 1)))
    expect(out.slice(0, 4)).toBe('fff0')
    expect(out.slice(4 + MAX_PAYLOAD, 8 + MAX_PAYLOAD)).toBe('fff0')
    expect(out.slice(8 + 2 * MAX_PAYLOAD, 12 + 2 * MAX_PAYLOAD)).toBe('0005')
    expect(out.length).toBe(12 + 2 * MAX_PAYLOAD + 1)
  })

  it('round trips any content through any chunking (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 200_000 }),
        fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 5 }),
        async (data, sizes) => {
          const out: Uint8Array[] = []
          const w = new PktLineWriter((parts) => out.push(...parts.map((p) => Buffer.from(p))))
          w.content(data)
          w.flush()
          w.send()
          const reader = new PktLineReader(chunksOf(Buffer.concat(out), sizes))
          const got: Uint8Array[] = []
          for (;;) {
            const p: Packet | null = await reader.read()
            if (p === FLUSH || p === null) break
            got.push(p)
          }
          expect(Buffer.compare(Buffer.concat(got), Buffer.from(data))).toBe(0)
        },
      ),
      { numRuns: 40 },
    )
  })
})

describe('syncFdSource under the reader', () => {
  it('hands out views that later reads never overwrite, and packets straddling reads arrive whole (property)', async () => {
    const { openSync, closeSync, writeFileSync } = await import('node:fs')
    const { join } = await import('node:path')
    const { tempDir } = await import('../helpers/repo.js')
    const { syncFdSource } = await import('../../src/filter/pktline.js')
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: MAX_PAYLOAD }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 4 }),
        async (sizes, megabytes) => {
          const payloads = sizes.map((n, i) => Buffer.alloc(n, i % 251))
          const stream: Buffer[] = []
          for (const p of payloads) {
            stream.push(Buffer.from((p.length + 4).toString(16).padStart(4, '0')), p)
          }
          const file = join(tempDir(), 'stream')
          writeFileSync(file, Buffer.concat(stream))
          const fd = openSync(file, 'r')
          try {
            const reader = new PktLineReader(syncFdSource(fd, megabytes * 80 * 1024))
            const got: Uint8Array[] = []
            for (let packet = await reader.read(); packet !== null; packet = await reader.read()) {
              if (packet !== FLUSH) got.push(packet)
            }
            // compared only after everything was read: an aliasing bug would show here
            expect(got.map((g) => Buffer.from(g).toString('hex'))).toEqual(payloads.map((p) => p.toString('hex')))
          } finally {
            closeSync(fd)
          }
        },
      ),
      { numRuns: 25 },
    )
  })
})
