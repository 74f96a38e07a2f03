// The edge-tier section of docs/PERFORMANCE.md, from bench/results/edge.json (bench/edge.mjs):
// nginx edges in front of the streamer against direct to it (docs/SCALING.md explains the tier).

const fmt = (n, digits = 2) => (n === null || n === undefined || Number.isNaN(n) ? '–' : Number(n).toLocaleString('en-US', { maximumFractionDigits: digits }));

export function edgeSection(edge, { table, when }) {
  if (!edge) return '';
  const wrkRows = (edge.wrk ?? []).map((r) => [
    r.what,
    r.tier,
    fmt(r.requestsPerSecond, 0),
    fmt(r.p50Ms, 3),
    fmt(r.p99Ms, 3),
    fmt(r.originPlaylistPerSecond, 1),
    fmt(r.originSegmentsPerSecond, 1),
    fmt(r.non2xx + r.socketErrors, 0),
  ]);
  const stepRows = (edge.steps ?? []).map((s) => [
    s.tier,
    fmt(s.viewers, 0),
    fmt(s.failed, 0),
    fmt(s.playlistP50Ms, 1),
    fmt(s.playlistP99Ms, 1),
    fmt(s.originPlaylistPerSecond, 1),
    fmt(s.originSegmentsPerSecond, 1),
    s.held ? 'yes' : '**no**',
  ]);
  const latencyRows = (edge.latency ?? []).map((l) => [
    l.config,
    fmt(l.directMedianSeconds, 2),
    fmt(l.edgeMedianSeconds, 2),
    fmt(l.addedSeconds, 2),
    fmt(l.directP95Seconds, 2),
    fmt(l.edgeP95Seconds, 2),
  ]);
  const lagRows = (edge.lag ?? []).map((l) => [l.what, fmt(l.changes, 0), fmt(l.medianMs, 0), fmt(l.p95Ms, 0), fmt(l.maxMs, 0)]);
  const c = edge.collapsed;
  return `## 8. Edge cache tier (nginx in front of the streamer)

\`${edge.command}\` — ${when(edge)}. Everything on one 2-core machine: origin, publisher, edges
(${edge.what.includes('1 worker') ? 'one nginx worker each' : 'nginx'}), load generators and Chromium share the cores, so the ceilings are this
machine's, not nginx's. Origin request rates are the origin's own \`/metrics\` counters.
[docs/SCALING.md](SCALING.md) explains the tier.

wrk, ${edge.settings.wrkConnections} connections, ${edge.settings.wrkSeconds} s each:

${table(['Object', 'Tier', 'req/s', 'p50 ms', 'p99 ms', 'Origin playlist req/s', 'Origin segment req/s', 'Errors'], wrkRows)}

Simulated viewers (bench/viewers.mjs: playlist every second, every new segment), ${edge.settings.stepSeconds} s per step,
spread evenly over two edges; held = no failed request and a playlist p99 under one segment (2 s):

${table(['Tier', 'Viewers', 'Failed', 'Playlist p50 ms', 'Playlist p99 ms', 'Origin playlist req/s', 'Origin segment req/s', 'Held'], stepRows)}

Most viewers held: ${fmt(edge.summary?.viewersHeldDirect, 0)} direct, ${fmt(edge.summary?.viewersHeldEdges, 0)} through two edges.

How much older the plain playlist is at the edge than at the origin (both polled every 10 ms; the
edge keeps a copy per 200 ms slot of the clock):

${table(['Change', 'Changes seen', 'Median ms', 'p95 ms', 'Max ms'], lagRows)}

Glass to glass in Chromium (hls.js \`playingDate\`), two tabs started together (which opens first alternates), ${edge.settings.latencySeconds} s of samples per pair:

${table(['Stream', 'Direct median s', 'Edge median s', 'Added s', 'Direct p95 s', 'Edge p95 s'], latencyRows)}
${
  c
    ? `
Collapsed blocking reloads (${c.requests} identical \`_HLS_msn/_HLS_part\` requests at once, ${fmt(c.rounds, 0)} rounds): the first
answer after ${fmt(c.firstAnswerMedianMs, 0)} ms (median, the part's arrival), the others ${fmt(c.waitAfterFirstMedianMs, 0)} ms later
(median; p95 ${fmt(c.waitAfterFirstP95Ms, 0)} ms, max ${fmt(c.waitAfterFirstMaxMs, 0)} ms): nginx wakes requests waiting on its cache lock every 500 ms.
`
    : ''
}`;
}
