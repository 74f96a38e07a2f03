// The WebRTC section of docs/PERFORMANCE.md, from bench/results/webrtc.json (bench/webrtc.mjs):
// glass to glass for every view measured the same way, CPU per WebRTC viewer, most viewers held.

const fmt = (n, digits = 2) => (n === null || n === undefined || Number.isNaN(n) ? '–' : Number(n).toLocaleString('en-US', { maximumFractionDigits: digits }));

export function webrtcSection(webrtc, { table, when }) {
  if (!webrtc) return '';
  const views = table(
    ['View', 'Frames sampled', 'Median (ms)', 'p95 (ms)', 'Min (ms)', 'Max (ms)', 'The page showed (median ms)'],
    webrtc.views.map((v) =>
      v.error
        ? [v.label, `failed: ${v.error}`, '–', '–', '–', '–', '–']
        : [v.label, fmt(v.samples, 0), `**${fmt(v.medianMs, 0)}**`, fmt(v.p95Ms, 0), fmt(v.minMs, 0), fmt(v.maxMs, 0), fmt(v.pageMedianMs, 0)],
    ),
  );
  const load = webrtc.viewers;
  const crowds = load
    ? table(
        [
          'WebRTC viewers',
          'Streamer CPU (cores)',
          'CPU per viewer (% of a core)',
          'Fewest frames of one viewer',
          'Longest gap (ms)',
          'Streamer RSS (MiB)',
          'No loss',
        ],
        load.crowds.map((c) =>
          c.error
            ? [fmt(c.size, 0), '–', '–', '–', '–', '–', `**no**: ${c.error}`]
            : [
                fmt(c.size, 0),
                fmt(c.cpuCores, 3),
                fmt(c.cpuPerViewer * 100, 2),
                `${fmt(c.minFrames, 0)} of ${fmt(c.expectedFrames, 0)}`,
                fmt(c.maxGapMs, 0),
                fmt(c.rssMiB, 1),
                c.ok ? 'yes' : '**no**',
              ],
        ),
      )
    : '';
  return `## 11. WebRTC playback (WHEP)

\`${webrtc.command}\` — ${when(webrtc)}. One publisher (${webrtc.size}, ${webrtc.fps} fps, 2 s segments, detection off)
whose input is a FIFO written by the benchmark itself: every frame carries the wall clock at which it
was written, as 40 black and white blocks across its top. Chromium plays the stream in the viewer
page's engine for each view, reads the blocks back from every frame it shows (a canvas drawn from the
\`<video>\` in \`requestVideoFrameCallback\`, or from the MJPEG \`<img>\` each animation frame) and records
the wall clock minus the time in the picture, for ${fmt(webrtc.seconds, 0)} s after settling. Nothing the
server says enters the figure. One machine, one clock. The last column is the latency the page
itself displays meanwhile (for HLS from hls.js's \`playingDate\`, the stream's program date-time;
for WebRTC from the RTP timestamps; none for MJPEG), sampled every 250 ms. LL-HLS plays with the
page's defaults (hls.js aims at PART-HOLD-BACK, three parts behind the newest).

${views}

${
  load
    ? `CPU per viewer and the most viewers held: receive-only node-datachannel peers (loopback) against
one streamer (\`--webrtc\`), the publisher on the test pattern at ${webrtc.size}, ${webrtc.fps} fps. Streamer CPU over
${fmt(load.windowSeconds, 0)} s; idle (publisher connected, no viewer) ${fmt(load.idleCpuCores, 3)} cores. A crowd is held when every
peer got at least 95 % of the frames and none waited a second for one. **Most held: ${fmt(load.held, 0)}**${load.held === load.crowds.at(-1)?.size ? ', the largest crowd tried' : ''} (the
peers run in the benchmark's process on the same two cores).

${crowds}
`
    : ''
}`;
}
