// Simulated HLS viewers over keep-alive HTTP: each polls the playlist every `pollMs` and fetches
// every segment it has not fetched yet, like a player that never falls behind. Shared by the
// e2e load test (packages/e2e/test/load.test.ts) and bench/soak.mjs.
import http from 'node:http';

function percentile(sorted, q) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function get(agent, url, stats, retry = true) {
  return new Promise((resolve) => {
    const started = performance.now();
    const req = http.get(url, { agent }, (res) => {
      let bytes = 0;
      const chunks = [];
      res.on('data', (c) => {
        bytes += c.length;
        if (res.headers['content-type']?.includes('mpegurl')) chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - started, bytes, text: Buffer.concat(chunks).toString() }));
      res.on('error', (error) => resolve({ status: 0, ms: performance.now() - started, bytes, error: error.message }));
    });
    req.on('error', (error) => {
      // The server may close an idle keep-alive socket just as it is reused: like browsers and
      // undici, a GET on a reused socket that is reset before any answer is sent again once.
      if (req.reusedSocket && retry && error.code === 'ECONNRESET') {
        stats.retried++;
        resolve(get(agent, url, stats, false));
      } else resolve({ status: 0, ms: performance.now() - started, bytes: 0, error: error.message });
    });
  });
}

/**
 * Starts `count` viewers against `baseUrl`; `stop()` ends them and resolves the totals:
 * requests, failures (non-2xx or network errors, with the first few described), playlist
 * latency percentiles in ms and segment bytes.
 */
export function startViewers(baseUrl, { count = 200, pollMs = 1000, maxSockets = 512 } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const latencies = [];
  const failures = [];
  const totals = { playlistRequests: 0, segmentRequests: 0, failed: 0, segmentBytes: 0, retried: 0 };
  let running = true;

  const viewer = async (offset) => {
    const fetched = new Set();
    await new Promise((r) => setTimeout(r, offset));
    while (running) {
      const started = Date.now();
      const playlist = await get(agent, `${baseUrl}/stream.m3u8`, totals);
      totals.playlistRequests++;
      latencies.push(playlist.ms);
      if (playlist.status !== 200) {
        totals.failed++;
        if (failures.length < 10) failures.push(`playlist ${playlist.status} ${playlist.error ?? ''}`);
      } else {
        const names = playlist.text.split('\n').filter((line) => line && !line.startsWith('#'));
        // A player starts near the live edge: only the last three segments on its first poll.
        const wanted = fetched.size === 0 ? names.slice(-3) : names.filter((n) => !fetched.has(n));
        for (const name of wanted) {
          if (!running) break;
          fetched.add(name);
          const segment = await get(agent, new URL(name, `${baseUrl}/stream.m3u8`).href, totals);
          totals.segmentRequests++;
          totals.segmentBytes += segment.bytes;
          if (segment.status !== 200) {
            totals.failed++;
            if (failures.length < 10) failures.push(`${name} ${segment.status} ${segment.error ?? ''}`);
          }
        }
        // Remember only what is still listed, so memory stays flat over hours.
        for (const name of fetched) if (!names.includes(name)) fetched.delete(name);
      }
      await new Promise((r) => setTimeout(r, Math.max(0, pollMs - (Date.now() - started))));
    }
  };

  const all = Array.from({ length: count }, (_, i) => viewer((i * pollMs) / count));
  return {
    totals,
    /** Playlist latency percentiles so far, and resets the samples (for per-interval reports). */
    sample() {
      const sorted = latencies.splice(0).sort((a, b) => a - b);
      return { n: sorted.length, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted.at(-1) ?? null };
    },
    async stop() {
      running = false;
      await Promise.all(all);
      agent.destroy();
      const sorted = latencies.sort((a, b) => a - b);
      return { ...totals, failures, playlistLatencyMs: { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted.at(-1) ?? null } };
    },
  };
}
