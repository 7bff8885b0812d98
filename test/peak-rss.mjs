// Loaded into a child process with `node --import`: at exit, writes the process's peak
// resident set size (kB, from getrusage) to the file $LOADLINE_PEAK_RSS_FILE.
import { writeFileSync } from 'node:fs';

const out = process.env.LOADLINE_PEAK_RSS_FILE;
if (out) process.on('exit', () => writeFileSync(out, String(process.resourceUsage().maxRSS)));
