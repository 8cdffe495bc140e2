/**
 * The fake OpenAI endpoint in its own process, so its CPU does not count as the workbench's and
 * it does not compete for the event loop. Started by `startFakeInChild()`; talks over IPC.
 *   argv[2]: JSON { latencyMs, every429, reply } — every429 = N answers every Nth request with 429 Retry-After: 0;
 *   reply = the message content of every answer (default: the stand-in's own verdict JSON)
 * `stats` also returns the epoch times (ms) at which the first and the last request arrived, so a
 * whole-process bench can tell the client's start-up from its judging.
 */
import { startFakeOpenAI } from '../../tests/support/openai-server.ts';

const config = JSON.parse(process.argv[2] ?? '{}') as { latencyMs?: number; every429?: number; reply?: string };
const now = () => performance.timeOrigin + performance.now();
let firstAt: number | null = null, lastAt: number | null = null;
const fake = await startFakeOpenAI({
  latencyMs: config.latencyMs,
  respond: config.reply === undefined ? undefined : () => config.reply!,
  fault: (_req, i) => {
    lastAt = now();
    firstAt ??= lastAt;
    return config.every429 && i % config.every429 === config.every429 - 1 ? { kind: 'status', status: 429, retryAfter: '0' } : undefined;
  },
});
process.send!({ url: fake.url });
process.on('message', async (m: { type: string }) => {
  if (m.type === 'stats') process.send!({ requests: fake.count(), cpu: process.cpuUsage(), firstAt, lastAt });
  if (m.type === 'reset') { firstAt = lastAt = null; process.send!({ ok: true }); }
  if (m.type === 'close') { await fake.close(); process.exit(0); }
});
