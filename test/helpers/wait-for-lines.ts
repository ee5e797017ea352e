// Waits until a file that another process appends to holds at least `lines` lines: the event an e2e test acts on
// (interrupt a run halfway), read incrementally so a file of 20,000 records is not read again every poll.
import { open } from 'node:fs/promises';

const POLL_MS = 20;
const NEWLINE = 0x0a;

/** Resolves once `path` has `lines` newlines (the file may not exist yet); rejects when `signal` aborts (the test's timeout). */
export async function waitForLines(path: string, lines: number, signal: AbortSignal): Promise<void> {
  let seen = 0;
  let offset = 0;
  const buffer = Buffer.alloc(1 << 16);
  for (;;) {
    signal.throwIfAborted();
    const file = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    if (file !== null) {
      try {
        for (let read = 1; read > 0;) {
          ({ bytesRead: read } = await file.read(buffer, 0, buffer.length, offset));
          offset += read;
          for (let i = 0; i < read; i++) if (buffer[i] === NEWLINE) seen++;
          if (seen >= lines) return;
        }
      } finally {
        await file.close();
      }
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
