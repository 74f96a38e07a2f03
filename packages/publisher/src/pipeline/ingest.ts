// A source that comes and goes (a WHIP publisher): the piped pipeline starts a capture ffmpeg for
// each session and ends it when the session ends. What the pipeline needs of such a source.
import type { Writable } from 'node:stream';

export interface IngestSession {
  readonly id: string;
  /** Writes the session's video as an IVF stream (header first) into `sink`, from its next
   * keyframe on; a new sink (a restarted capture) gets a new header and waits for a keyframe. */
  attach(sink: Writable): void;
  detach(): void;
}

export interface IngestHandlers {
  /** A publisher arrived; its video flows once a sink is attached. */
  begin(session: IngestSession): void;
  /** The publisher left (ended, vanished, or the ingest is stopping); resolves once the session's
   * capture and encoder have finished. The next publisher is refused until then. */
  end(session: IngestSession): Promise<void>;
}

export interface SessionIngest {
  /** Takes publishers, one at a time, until the returned `stop`, which ends the live one. */
  serve(handlers: IngestHandlers): { stop(): Promise<void> };
}
