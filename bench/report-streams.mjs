// The named-streams section of docs/PERFORMANCE.md, from bench/results/streams.json
// (bench/streams.mjs): many streams through one streamer, memory per stream, capture on demand.

const fmt = (n, digits = 2) => (n === null || n === undefined || Number.isNaN(n) ? '–' : Number(n).toLocaleString('en-US', { maximumFractionDigits: digits }));

export function streamsSection(streams, { table, when }) {
  if (!streams) return '';
  const { load } = streams;
  const m = load.memory;
  const memoryRows = [
    ['`default` only (before any publisher)', fmt(m.baseline.rssMiB, 1), fmt(m.baseline.heapMiB, 1)],
    [`${load.streams} streams published, no viewer`, fmt(m.published.rssMiB, 1), fmt(m.published.heapMiB, 1)],
    [`${load.streams} streams x ${load.viewersPerStream} viewers, after ${load.seconds} s`, fmt(m.loaded.rssMiB, 1), fmt(m.loaded.heapMiB, 1)],
  ];
  const onDemandRows = (streams.onDemand ?? []).map((r) => [
    r.label,
    fmt(r.starts.length, 0),
    fmt(r.medianSeconds, 2),
    fmt(r.maxSeconds, 2),
    r.starts.every((s) => s.firstHeldListed) ? 'yes' : '**no**',
  ]);
  return `## 9. Named streams and capture on demand

\`${streams.command}\` — ${when(streams)}. One streamer, ${load.streams} real publishers (\`--stream camN\`,
160x120, 10 fps, 2 s segments, direct pipeline) and ${load.viewersPerStream} simulated viewers per stream
(bench/viewers.mjs: playlist every 2 s, every new segment) for ${load.seconds} s.

- Requests: ${fmt(load.playlistRequests, 0)} playlists and ${fmt(load.segmentRequests, 0)} segments; **failed: ${fmt(load.failed, 0)}**${load.failures?.length ? ` (${load.failures.join('; ')})` : ''}
- Playlist latency: median of the per-stream p50 ${fmt(load.playlistP50Ms, 2)} ms, worst per-stream p99 ${fmt(load.playlistP99MsWorst, 2)} ms
- Memory per stream (streamer, difference from \`default\` alone, divided by ${load.streams}): **${fmt(load.perStreamMiB.rss, 2)} MiB RSS, ${fmt(load.perStreamMiB.heap, 2)} MiB V8 heap**
  with publishers only; ${fmt(load.perStreamLoadedMiB.rss, 2)} MiB RSS, ${fmt(load.perStreamLoadedMiB.heap, 2)} MiB heap with the viewers too
  (a stream's window of segments is held in memory: about bitrate x window length).

${table(['Streamer', 'RSS MiB', 'V8 heap used MiB'], memoryRows)}

Capture on demand (\`hls-publish --on-demand --idle-seconds 1\`): time from a viewer's first playlist
request (the camera closed, no capture ffmpeg) to a playlist that lists video, which that first request
itself returns (it is held, up to four target durations, until a segment or part is listed). Target:
4 s with 2 s segments.

${table(['Publisher', 'Starts', 'Median s', 'Max s', 'First request returned video'], onDemandRows)}
`;
}
