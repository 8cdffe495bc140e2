/**
 * Starts the deterministic stand-in model (an OpenAI-compatible server on 127.0.0.1) and serves
 * until Ctrl-C:  npx tsx scripts/stand-in.ts --mode rubric [--port 8787] [--latency-ms 0] [--quiet]
 * (or `npm run stand-in -- --port 8787`). What it answers is described in docs/stand-in.md;
 * figures produced with it are the stand-in's, not a real model's judgment.
 */
import { parseStandInArgs, startStandIn, STAND_IN_USAGE, UsageError } from '../tests/support/stand-in.ts';

async function run(): Promise<number> {
  let opts;
  try {
    opts = parseStandInArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) { console.error(`stand-in: ${e.message}\n${STAND_IN_USAGE}`); return 2; }
    throw e;
  }
  let standIn;
  try {
    standIn = await startStandIn(opts, (line) => console.error(line));
  } catch (e) {
    if (e instanceof UsageError) { console.error(`stand-in: ${e.message}`); return 1; }
    throw e;
  }
  console.log(standIn.url);
  console.error(`stand-in (${opts.mode} mode) serving ${standIn.url}, deterministic, not a real model; Ctrl-C to stop`);
  const stop = () => { void standIn.close().then(() => process.exit(0)); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return -1;
}

const code = await run();
if (code >= 0) process.exit(code);
