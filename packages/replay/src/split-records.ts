/** One record of a capture read as a stream: where it is in the file, and its bytes. */
export interface RecordPiece {
  /** Byte offset of the record in the file. */
  offset: number;
  /** Its length in bytes, the separator excluded. */
  length: number;
  /** The record's bytes; absent when it was longer than the limit (skipped, never held). */
  bytes?: Buffer;
  /** `\n` bytes inside the record (the separator's own not counted). */
  newlines: number;
}

function countNewlines(buffer: Buffer, end: number): number {
  let n = 0;
  for (let i = buffer.indexOf(10); i !== -1 && i < end; i = buffer.indexOf(10, i + 1)) n++;
  return n;
}

/**
 * Splits a stream of bytes at `separator` (`\n` for a log, GoReplay's record separator),
 * yielding the records of each chunk as they complete. What is held at once is one chunk and
 * one unfinished record; a record longer than `maxBytes` is passed over (its offset, length
 * and newlines yielded, its bytes not), so one endless line cannot exhaust memory.
 */
export async function* splitRecords(
  chunks: AsyncIterable<Buffer>,
  separator: Buffer,
  maxBytes: number,
): AsyncGenerator<RecordPiece[]> {
  let head: Buffer = Buffer.alloc(0);
  /** File offset of head[0]. */
  let headOffset = 0;
  /** No separator starts in head before this index. */
  let searchFrom = 0;
  /** Bytes of the current record already passed over, and the newlines in them. */
  let dropped = 0;
  let droppedNewlines = 0;
  // A separator may straddle two chunks: these many bytes at the end are always kept.
  const overlap = separator.length - 1;

  const piece = (end: number): RecordPiece =>
    dropped + end > maxBytes
      ? {
          offset: headOffset - dropped,
          length: dropped + end,
          newlines: droppedNewlines + countNewlines(head, end),
        }
      : {
          offset: headOffset,
          length: end,
          bytes: head.subarray(0, end),
          newlines: separator.length === 1 ? 0 : countNewlines(head, end),
        };

  for await (const chunk of chunks) {
    head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    const pieces: RecordPiece[] = [];
    for (let at = head.indexOf(separator, searchFrom); at !== -1; ) {
      pieces.push(piece(at));
      const next = at + separator.length;
      head = head.subarray(next);
      headOffset += next;
      dropped = 0;
      droppedNewlines = 0;
      at = head.indexOf(separator);
    }
    searchFrom = Math.max(0, head.length - overlap);
    if (dropped + head.length > maxBytes) {
      const cut = searchFrom;
      droppedNewlines += countNewlines(head, cut);
      dropped += cut;
      head = Buffer.from(head.subarray(cut));
      headOffset += cut;
      searchFrom = 0;
    }
    if (pieces.length > 0) yield pieces;
  }
  if (head.length > 0 || dropped > 0) yield [piece(head.length)];
}
