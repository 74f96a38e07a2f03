// The soak section of docs/PERFORMANCE.md: memory of both processes over a long run
// (bench/soak.mjs), as a table every few minutes and a text chart, so a leak shows as a slope.

const fmt = (n, digits = 1) => (n === null || n === undefined || Number.isNaN(n) ? '–' : Number(n).toLocaleString('en-US', { maximumFractionDigits: digits }));
const BARS = '▁▂▃▄▅▆▇█';

/** One line of block characters for the values, scaled between `low` and `high`. */
export function sparkline(values, low, high) {
  const span = Math.max(1e-9, high - low);
  return values.map((v) => BARS[Math.min(BARS.length - 1, Math.max(0, Math.floor(((v - low) / span) * BARS.length)))]).join('');
}

/** The sample nearest each multiple of `everyMinutes`, the first and the last always included. */
export function thin(samples, everyMinutes) {
  const last = samples.at(-1)?.minute ?? 0;
  const kept = new Set([samples[0], samples.at(-1)]);
  for (let mark = everyMinutes; mark < last; mark += everyMinutes) {
    kept.add(samples.reduce((best, s) => (Math.abs(s.minute - mark) < Math.abs(best.minute - mark) ? s : best)));
  }
  return samples.filter((s) => kept.has(s));
}

/** At most `width` points: the mean of each run of neighbours. */
export function downsample(values, width) {
  const step = Math.max(1, Math.ceil(values.length / width));
  const out = [];
  for (let i = 0; i < values.length; i += step) {
    const run = values.slice(i, i + step);
    out.push(run.reduce((a, b) => a + b, 0) / run.length);
  }
  return out;
}

const series = (samples, key) => samples.map((s) => s[key]).filter((v) => typeof v === 'number');

export function soakSection(soak, { table, when }) {
  const samples = soak.samples ?? [];
  if (!samples.length) return '';
  const rows = thin(samples, 5).map((s) => [
    fmt(s.minute, 1),
    fmt(s.streamerRssMiB),
    fmt(s.publisherRssMiB),
    fmt(s.ffmpegRssMiB, 0),
    fmt(s.playlistP99Ms),
    fmt(s.requests, 0),
    s.failed,
  ]);
  const streamer = series(samples, 'streamerRssMiB');
  const publisher = series(samples, 'publisherRssMiB');
  const ffmpeg = series(samples, 'ffmpegRssMiB');
  // After warm-up (the first 10 % of the run) the curve should be flat: its range is the figure.
  const settled = (values) => values.slice(Math.floor(values.length / 10));
  const range = (values) => (values.length ? `${fmt(Math.min(...values))}-${fmt(Math.max(...values))}` : '–');
  // Each curve on its own scale, its lowest and highest value printed beside it: the shape shows
  // a slope (a leak) or a plateau, the numbers say how much it is.
  const curve = (values) =>
    `${fmt(Math.min(...values)).padStart(5)} ${sparkline(downsample(values, soak.minutes), Math.min(...values), Math.max(...values))} ${fmt(Math.max(...values))} MiB`;
  const total = soak.totals ? soak.totals.playlistRequests + soak.totals.segmentRequests : samples.at(-1).requests;
  return `## 7. Soak: memory over ${soak.minutes} minutes

\`node bench/soak.mjs --minutes ${soak.minutes} --viewers ${soak.viewers}\` (not part of \`pnpm bench\`: it takes the whole
time)${soak.commit ? ` on commit ${soak.commit}` : ''} — ${when(soak)}.

A streamer process, a publisher process on the test pattern (640x480, 25 fps, detection off) and
${soak.viewers} simulated viewers (keep-alive HTTP, playlist every second, every new segment); RSS
from \`/proc/<pid>/status\` every ${samples.length > 1 ? fmt((samples[1].minute - samples[0].minute) * 60, 0) : '?'} s. ${fmt(total, 0)} requests,
${soak.totals?.failed ?? samples.at(-1).failed} failed${soak.totals?.failures?.length ? ` (${soak.totals.failures.map((f) => `\`${f}\``).join(', ')})` : ''}; ${fmt(soak.totals?.retried ?? 0, 0)} GETs on a reused keep-alive socket reset before any answer were sent again once, as browsers do. Growth from the first to the last sample: streamer ${fmt(soak.growthMiB?.streamer)} MiB,
publisher ${fmt(soak.growthMiB?.publisher)} MiB. After the first tenth of the run: streamer ${range(settled(streamer))} MiB,
publisher ${range(settled(publisher))} MiB, ffmpeg ${range(settled(ffmpeg))} MiB.

Memory curves, one character per minute, each between its lowest and highest value:

\`\`\`
streamer  ${curve(streamer)}
publisher ${curve(publisher)}
ffmpeg    ${curve(ffmpeg)}
\`\`\`

${table(['minute', 'Streamer RSS MiB', 'Publisher RSS MiB', 'ffmpeg RSS MiB', 'Playlist p99 ms', 'Requests', 'Failed'], rows)}
`;
}
