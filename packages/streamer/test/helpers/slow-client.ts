// A client over a raw socket that sends a first piece, then trickles the rest without ever
// finishing: it measures when the server gives up on it.
import { connect } from 'node:net';

export interface SlowClientResult {
  /** Milliseconds from the first byte sent to the socket's close. */
  readonly closedAfterMs: number;
  /** What the server sent before closing (Node's 408 answer, if any). */
  readonly received: string;
}

/** Sends `first`, then `drip` every `everyMs` until the server closes the socket (or `giveUpMs` passes). */
export function slowClient(port: number, first: string | Buffer, drip: string | Buffer, everyMs: number, giveUpMs = 10_000): Promise<SlowClientResult> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let started = 0;
    let timer: NodeJS.Timeout | undefined;
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the slow client open for ${giveUpMs} ms; received: ${received.slice(0, 200)}`));
    }, giveUpMs);
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.once('connect', () => {
      started = performance.now();
      socket.write(first);
      timer = setInterval(() => socket.writable && socket.write(drip), everyMs);
    });
    socket.once('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ closedAfterMs: performance.now() - started, received });
    });
  });
}
