/**
 * Rate limits whose waits exceed what one timer can hold (setTimeout fires at once past
 * 2^31 − 1 ms): a run with --rpm 0.001 or --tpm 0.001 sends its first request, then waits —
 * it never sends everything at once, never crashes, and can be cancelled during the wait.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../support/openai-server.ts';
import { judgeWorkspace, waitFor } from './helpers.ts';
import { MAX_TIMER_MS } from '../../server/judge/limiter.ts';
import { sleep } from '../../server/judge/sleep.ts';

let fake: FakeOpenAI | undefined;
const cleanups: Array<() => void> = [];
afterEach(async () => {
  await fake?.close();
  fake = undefined;
  for (const c of cleanups.splice(0)) c();
});

/** Long enough for any timer that overflowed (they fire after 1 ms) to have fired. */
const SETTLE_MS = 300;

describe('a run under limits whose waits overflow a timer', () => {
  it.each([
    // 40 workers at one request per 1,000 minutes: the 37th waits more than 24.8 days
    ['--rpm 0.001', { rpm: 0.001 }, 40],
    // one token per 1,000 minutes: the second request waits for the first one's tokens, years
    ['--tpm 0.001', { tpm: 0.001 }, 3],
  ])('%s: the first request goes, the rest wait (none sent at once, no crash), and cancel ends the wait', async (_name, limits, items) => {
    fake = await startFakeOpenAI({});
    const s = judgeWorkspace({ baseUrl: fake.url, items });
    cleanups.push(s.cleanup);
    const planned = s.ws.engine.plan({ criterion: s.criterion, version: s.version, split: 'all', concurrency: items, ...limits });
    const running = s.ws.engine.execute(planned.id);
    await waitFor(() => fake!.count() >= 1, 'the first request');
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    expect(fake.count()).toBe(1);
    expect(s.ws.run(planned.id)).toMatchObject({ status: 'running', errors: 0 });
    expect(s.ws.engine.cancel(planned.id)).toBe(true);
    const run = await running;
    expect(run).toMatchObject({ status: 'cancelled', done: 1, errors: 0 });
    expect(fake.count()).toBe(1);
  });
});

describe('sleep', () => {
  it('waits past MAX_TIMER_MS in chunks a timer can hold, and an abort ends it', async () => {
    const controller = new AbortController();
    const slept = sleep(MAX_TIMER_MS * 3 + 5, controller.signal);
    let settled = false;
    slept.then(() => { settled = true; }, () => { settled = true; });
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    expect(settled).toBe(false);
    controller.abort();
    await expect(slept).rejects.toMatchObject({ name: 'AbortError' });
  });
});
