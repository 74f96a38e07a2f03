// Entry point of the `hls-streamer` bin.
import { main } from './main.js';

await main(process.argv.slice(2));
