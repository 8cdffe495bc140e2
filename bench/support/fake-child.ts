/**
 * The fake OpenAI endpoint in its own process, so its CPU does not count as the workbench's and
 * it does not compete for the event loop. Started by `startFakeInChild()`; talks over IPC.
 *   argv[2]: JSON { latencyMs, every429 } — every429 = N answers every Nth request with 429 Retry-After: 0
 */
import { startFakeOpenAI } from '../../tests/support/openai-server.ts';

const config = JSON.parse(process.argv[2] ?? '{}') as { latencyMs?: number; every429?: number };
const fake = await startFakeOpenAI({
  latencyMs: config.latencyMs,
  fault: config.every429 ? (_req, i) => (i % config.every429! === config.every429! - 1 ? { kind: 'status', status: 429, retryAfter: '0' } : undefined) : undefined,
});
process.send!({ url: fake.url });
process.on('message', async (m: { type: string }) => {
  if (m.type === 'stats') process.send!({ requests: fake.count(), cpu: process.cpuUsage() });
  if (m.type === 'close') { await fake.close(); process.exit(0); }
});
