// The optional config file (`--config`): per-stream publish and viewer tokens, as MediaMTX users
// write theirs under `paths:`. JSON, or YAML when the file ends in .yaml/.yml (parsed with the
// `yaml` package, loaded only then). Validated like the flags, with messages naming the field.
//
//   streams:            # or `paths:`
//     door:
//       publishToken: s3cret-door
//       viewerToken: family
import { readFile } from 'node:fs/promises';
import { isStreamName } from '@hls-live/protocol';
import { StreamerError } from './errors.js';
import type { StreamTokens } from './streams/registry.js';

function invalid(file: string, where: string, expected: string, value: unknown): StreamerError {
  const shown = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return new StreamerError('INVALID_OPTION', `Expected \`${where}\` in ${file} to be ${expected}, got \`${shown.slice(0, 80)}\``, {
    option: '--config',
    value: where,
  });
}

const TOKEN_KEYS = ['publishToken', 'viewerToken'] as const;

/** Checks a parsed config document; returns the tokens by stream name. */
export function parseConfig(document: unknown, file = 'the config file'): Map<string, StreamTokens> {
  if (document === null || document === undefined) return new Map();
  if (typeof document !== 'object' || Array.isArray(document)) throw invalid(file, 'the document', 'a mapping with `streams:`', document);
  const top = document as Record<string, unknown>;
  for (const key of Object.keys(top)) if (key !== 'streams' && key !== 'paths') throw invalid(file, key, 'one of `streams`, `paths`', key);
  if (top.streams !== undefined && top.paths !== undefined) throw invalid(file, 'paths', 'left out when `streams` is given (they are the same)', 'paths');
  const streams = top.streams ?? top.paths ?? {};
  if (typeof streams !== 'object' || streams === null || Array.isArray(streams)) throw invalid(file, 'streams', 'a mapping of stream names', streams);
  const tokens = new Map<string, StreamTokens>();
  for (const [name, entry] of Object.entries(streams)) {
    if (!isStreamName(name)) throw invalid(file, `streams.${name}`, 'named with 1-64 characters of [a-z0-9_-] starting with a letter or digit', name);
    const value = entry ?? {};
    if (typeof value !== 'object' || Array.isArray(value)) throw invalid(file, `streams.${name}`, 'a mapping with `publishToken` and/or `viewerToken`', value);
    const fields = value as Record<string, unknown>;
    const own: { publishToken?: string; viewerToken?: string } = {};
    for (const [key, token] of Object.entries(fields)) {
      if (!(TOKEN_KEYS as readonly string[]).includes(key)) throw invalid(file, `streams.${name}.${key}`, `one of ${TOKEN_KEYS.join(', ')}`, key);
      if (typeof token !== 'string' || token.length === 0 || /\s/.test(token))
        throw invalid(file, `streams.${name}.${key}`, 'a non-empty string without spaces', token);
      own[key as (typeof TOKEN_KEYS)[number]] = token;
    }
    tokens.set(name, own);
  }
  return tokens;
}

/** Reads and checks the file; YAML by its extension, JSON otherwise. */
export async function loadConfig(path: string): Promise<Map<string, StreamTokens>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new StreamerError('INVALID_OPTION', `Cannot read --config \`${path}\`: ${(error as Error).message}`, { option: '--config', value: path });
  }
  let document: unknown;
  try {
    document = /\.ya?ml$/i.test(path) ? (await import('yaml')).parse(text) : JSON.parse(text);
  } catch (error) {
    throw new StreamerError('INVALID_OPTION', `--config \`${path}\` is not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(error as Error).message}`, {
      option: '--config',
      value: path,
    });
  }
  return parseConfig(document, path);
}
