import HLS from 'hls-parser';

export type MediaPlaylist = InstanceType<typeof HLS.types.MediaPlaylist>;

export async function fetchPlaylist(baseUrl: string): Promise<{ text: string; playlist: MediaPlaylist }> {
  const res = await fetch(`${baseUrl}/stream.m3u8`);
  const text = await res.text();
  if (!res.ok) throw new Error(`playlist answered ${res.status}: ${text}`);
  const parsed = HLS.parse(text);
  if (!('segments' in parsed)) throw new Error('expected a media playlist');
  return { text, playlist: parsed as MediaPlaylist };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 40_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
