// Entry point of the `hls-publish` bin. process.exit (not exitCode) because a graceful stop
// may leave keep-alive sockets or timers behind that are not worth waiting for.
import { main } from './main.js';

const code = await main(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr, platform: process.platform });
process.exit(code);
