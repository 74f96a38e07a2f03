// The CLI's logger: JSON lines on stdout for machines; pino-pretty on a terminal, written
// above the live status line. Both synchronous, so the last lines survive process.exit.
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel } from './options.js';
import type { StatusLine } from './status-line.js';

export function createLogger(level: LogLevel, statusLine?: StatusLine): Logger {
  if (!statusLine) return pino({ level }, pino.destination({ dest: 1, sync: true }));
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      statusLine.write(chunk.toString());
      callback();
    },
  });
  return pino({ level }, pretty({ colorize: true, sync: true, destination, ignore: 'pid,hostname' }));
}
