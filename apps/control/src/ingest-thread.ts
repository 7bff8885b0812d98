// An ingest thread (LOADLINE_INGEST_THREADS): decodes the batches control's main thread
// hands it, one at a time, and answers each with what became of it.
import { parentPort } from 'node:worker_threads';
import { decodeEntries, type SignedText } from './ingest-decode.js';
import type { ThreadReply, ThreadRequest } from './ingest-threads.js';

const port = parentPort;
if (!port) throw new Error('ingest-thread runs as a worker thread of control');
port.on('message', ({ id, entries }: ThreadRequest) => {
  let reply: ThreadReply;
  try {
    reply = { id, decoded: decodeEntries(entries as SignedText[]) };
  } catch (error) {
    reply = { id, error: (error as Error).stack ?? String(error) };
  }
  port.postMessage(reply);
});
