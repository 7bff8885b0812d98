import { readSync } from 'node:fs';

const BLOCK = 64 * 1024;
const BLOCKS = 64;

/**
 * Reads records back from a capture file by offset. A capture is nearly in time order (a log
 * line is written when its request ends), so records read in time order sit close together:
 * the last 64 blocks of 64 KB read are kept, and most records are served from them. In the
 * worst case (a capture in no order at all) a record costs one 64 KB read.
 */
export class RecordReader {
  private readonly blocks = new Map<number, Buffer>();
  private scratch = Buffer.allocUnsafe(BLOCK);

  constructor(private readonly fd: number) {}

  /** The record's bytes, valid until the next read. */
  read(offset: number, length: number): Buffer {
    const first = Math.floor(offset / BLOCK);
    if (first !== Math.floor((offset + length - 1) / BLOCK) || length === 0) {
      if (this.scratch.length < length) this.scratch = Buffer.allocUnsafe(length);
      readSync(this.fd, this.scratch, 0, length, offset);
      return this.scratch.subarray(0, length);
    }
    let block = this.blocks.get(first);
    if (block) {
      // Most recently used last: Map keeps insertion order.
      this.blocks.delete(first);
    } else {
      // The least recently used block's memory is reused (no garbage per block read).
      let memory: Buffer = Buffer.allocUnsafe(BLOCK);
      if (this.blocks.size >= BLOCKS) {
        const oldest = this.blocks.keys().next().value as number;
        const evicted = this.blocks.get(oldest) as Buffer;
        memory = Buffer.from(evicted.buffer, evicted.byteOffset, BLOCK);
        this.blocks.delete(oldest);
      }
      block = memory.subarray(0, readSync(this.fd, memory, 0, BLOCK, first * BLOCK));
    }
    this.blocks.set(first, block);
    const start = offset - first * BLOCK;
    return block.subarray(start, start + length);
  }
}
