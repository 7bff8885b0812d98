import { createInterface } from 'node:readline';
import { UsageError } from './exit-codes.js';

/** Everything on standard input, without its final newline (`--password-stdin`, secret values). */
export async function readStdin(stdin: NodeJS.ReadableStream, max = 65_536): Promise<string> {
  let text = '';
  for await (const chunk of stdin) {
    text += chunk.toString();
    if (text.length > max)
      throw new UsageError(undefined, `standard input: more than ${max} characters`);
  }
  return text.replace(/\r?\n$/, '');
}

/**
 * Asks for a secret on the terminal without echoing it. Without a terminal there is nobody
 * to ask: the caller says which flag gives it instead.
 */
export async function askHidden(
  question: string,
  io: { stdin: NodeJS.ReadStream; stderr: NodeJS.WriteStream },
  instead: string,
): Promise<string> {
  if (!io.stdin.isTTY) {
    throw new UsageError(undefined, `no terminal to ask for it: ${instead}`);
  }
  const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: true });
  // Echo nothing of what is typed: only the question is written.
  (rl as unknown as { _writeToOutput: (text: string) => void })._writeToOutput = (text) => {
    if (text.startsWith(question)) io.stderr.write(question);
  };
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve));
  } finally {
    rl.close();
    io.stderr.write('\n');
  }
}
