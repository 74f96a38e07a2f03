// The browser-publishing section of docs/PERFORMANCE.md, from bench/results/whip.json
// (bench/whip.mjs): the publisher's CPU with a browser camera over WHIP against a local source,
// and glass to glass from a browser camera to a viewer.

const fmt = (n, digits = 2) => (n === null || n === undefined || Number.isNaN(n) ? '–' : Number(n).toLocaleString('en-US', { maximumFractionDigits: digits }));

export function whipSection(whip, { table, when }) {
  if (!whip) return '';
  const { camera, browser } = whip.cpu;
  const parts = (r) => r.processes.map((p) => `${p.name} ${fmt(p.cpuSecondsPerMinute, 1)}`).join(', ');
  const cpuRows = [camera, browser].map((r) => [
    r.label,
    fmt(r.cpuSecondsPerMinute, 1),
    fmt(r.cpuPercent, 1),
    parts(r),
    r.loadBefore?.map((l) => fmt(l, 1)).join(' ') ?? '–',
  ]);
  const latencyRows = whip.latency.map((r) =>
    r.error
      ? [r.view === 'webrtc' ? 'WebRTC playback (WHEP)' : 'LL-HLS, 0.2 s parts', `not measured: ${r.error}`, '–', '–', '–']
      : [
          r.view === 'webrtc' ? `WebRTC playback: ${r.engine}` : `LL-HLS, 0.2 s parts (${r.engine})`,
          fmt(r.medianMs, 0),
          fmt(r.p95Ms, 0),
          `${fmt(r.minMs, 0)}–${fmt(r.maxMs, 0)}`,
          `${fmt(r.samples, 0)} (${fmt(r.unreadable, 0)} unreadable)`,
        ],
  );
  return `## 10. Publishing from a browser (WHIP)

\`${whip.command}\` — ${when(whip)}. Headless Chromium on loopback publishes over WHIP
(\`hls-publish --input whip\`, ${whip.codec ?? 'H.264'} answered) at ${whip.size}, ${whip.fps} fps, blazeface on.

Publisher CPU (the node process with its detector worker, and its ffmpeg children; utime + stime
over ${whip.seconds} s after a warm-up), against the same face photo as a local looped source. With
WHIP the capture ffmpeg decodes the browser's H.264 instead of decoding the JPEG every frame;
Chromium's own encoding is not counted. Ratio WHIP / local: **${fmt(whip.cpu.ratio, 2)}**.

${table(['Source', 'CPU s per minute', 'CPU %', 'By process (s/min)', 'Load before'], cpuRows)}

Glass to glass, browser camera to viewer: a page paints \`Date.now()\` as two rows of 16 black and
white blocks into a canvas and publishes the canvas (\`captureStream(30)\`) over WHIP; a viewer
page in the same browser (one clock) reads the blocks off the playing video every 250 ms (through
the publisher's detection and encoder, the streamer, and the player). Target: under 500 ms to a
WebRTC viewer.

${table(['Viewer', 'Median ms', 'p95 ms', 'Range ms', 'Samples'], latencyRows)}
`;
}
