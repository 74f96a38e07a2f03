// Bringing a saved window back after a restart, pure: the saved JSON is checked field by field
// (it is input from disk, it may be damaged or from another version), segments whose files are
// gone are dropped from the front, and the media sequence only ever moves forward.
import { isSegmentName } from '@hls-live/protocol';
import { createWindow, type RetiringSegment, type Segment, type WindowConfig, type WindowState } from './window.js';

export class SavedStateError extends Error {
  override readonly name = 'SavedStateError';
  readonly code = 'SAVED_STATE_INVALID';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function fail(what: string): never {
  throw new SavedStateError(`saved window state has an invalid ${what}`);
}

function checkSegment(v: unknown): Segment {
  if (!isObject(v) || typeof v.name !== 'string' || !isSegmentName(v.name)) fail('segment name');
  if (typeof v.duration !== 'number' || !(v.duration > 0 && v.duration <= 30)) fail(`duration of ${v.name}`);
  if (!isCount(v.sequence) || typeof v.sessionId !== 'string' || !isTime(v.programDateTime) || typeof v.discontinuity !== 'boolean') {
    fail(`record for ${v.name}`);
  }
  return v as unknown as Segment;
}

function checkRetiring(v: unknown): RetiringSegment {
  if (!isObject(v) || typeof v.name !== 'string' || !isSegmentName(v.name) || !isCount(v.sequence) || !isTime(v.deleteAt)) fail('retiring segment');
  return v as unknown as RetiringSegment;
}

/** Checks the shape of what `JSON.parse` gave back; throws SavedStateError naming the bad field. */
export function parseSavedState(saved: unknown): WindowState {
  if (!isObject(saved)) fail('document');
  if (!Array.isArray(saved.segments) || !Array.isArray(saved.retiring)) fail('segment list');
  const segments = saved.segments.map(checkSegment);
  const retiring = saved.retiring.map(checkRetiring);
  if (!isCount(saved.mediaSequence) || !isCount(saved.discontinuitySequence) || !isCount(saved.nextSequence)) fail('sequence number');
  if (!(saved.targetDuration === null || (isCount(saved.targetDuration) && saved.targetDuration >= 1))) fail('target duration');
  if (typeof saved.ended !== 'boolean' || !isCount(saved.version)) fail('ended flag or version');
  for (let i = 1; i < segments.length; i++) if (segments[i]!.sequence <= segments[i - 1]!.sequence) fail('segment order');
  const last = segments.at(-1);
  if (last && saved.nextSequence <= last.sequence) fail('next sequence');
  return { ...(saved as unknown as WindowState), segments, retiring };
}

function withoutParts(segment: Segment): Segment {
  const { parts: _parts, ...whole } = segment;
  return whole;
}

/**
 * The window to continue with. `present(name)` says whether a segment's bytes survived; a missing
 * one takes every segment before it along (a playlist cannot skip a sequence number). Listed
 * segments beyond a now smaller window size retire as they would have on an add.
 */
export function restoreWindow(saved: WindowState, config: WindowConfig, present: (name: string) => boolean, now: number): WindowState {
  // Low-Latency parts live in memory only: after a restart their bytes are gone, so no segment
  // lists parts any more and the segment that was being built from parts is abandoned.
  let segments = saved.segments.map(withoutParts);
  const lastMissing = segments.findLastIndex((s) => !present(s.name));
  const lost = segments.slice(0, lastMissing + 1);
  segments = segments.slice(lastMissing + 1);
  const overflow = segments.slice(0, Math.max(0, segments.length - config.size));
  segments = segments.slice(overflow.length);
  const listedFor = [...overflow, ...segments].reduce((sum, s) => sum + s.duration, 0);
  const retired = overflow.map((s) => ({ name: s.name, sequence: s.sequence, deleteAt: now + Math.ceil((s.duration + listedFor) * 1000) }));
  const gone = [...lost, ...overflow];
  return {
    // Fields this version does not know keep their fresh defaults.
    ...createWindow(config),
    ...saved,
    config,
    segments,
    retiring: [...saved.retiring.filter((s) => present(s.name)), ...retired],
    mediaSequence: Math.max(saved.mediaSequence, segments[0]?.sequence ?? saved.nextSequence),
    discontinuitySequence: saved.discontinuitySequence + gone.filter((s) => s.discontinuity).length,
    open: null,
    version: saved.version + 1,
  };
}

/** Every segment file the window still refers to (listed or retiring; parts have no file). */
export function referencedNames(state: WindowState): Set<string> {
  return new Set([...state.segments.map((s) => s.name), ...state.retiring.filter((s) => !s.part).map((s) => s.name)]);
}
