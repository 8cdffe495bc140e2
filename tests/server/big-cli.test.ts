import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../server/db/open.ts';
import { buildSyntheticWorkspace, synthetic } from '../../server/db/synthetic.ts';
import { concur } from '../support/cli.ts';

// 1M labelled judgments per run through the real CLI (correctness, not time). Slow: runs when CONCUR_BIG=1.
const N = 1_000_000;
describe.skipIf(process.env.CONCUR_BIG !== '1')('report, compare and gate at 1M judgments (CONCUR_BIG=1)', () => {
  let dir: string, db: string;
  // expected figures recomputed from the generator's definitions, item by item
  const e = { n: 0, agree: 0, fewShot: 0, ambiguous: 0, errors: 0, fixed: 0, regressed: 0, compared: 0 };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'concur-big-')); db = join(dir, 'big.sqlite');
    const h = openDatabase(db); buildSyntheticWorkspace(h, N); h.close();
    for (let i = 0; i < N; i++) {
      const few = synthetic.fewShotOfRun1.includes((i + 1) as 1), amb = synthetic.ambiguous(i), j1 = synthetic.run1(i), j2 = synthetic.run2(i);
      if (few) { e.fewShot++; continue; }
      if (amb) { e.ambiguous++; continue; }
      if (j1 === null) { e.errors++; continue; }
      const expert = synthetic.expertPass(i), right1 = j1 === expert;
      e.n++; if (right1) e.agree++;
      if (j2 === null) continue;
      const right2 = j2 === expert;
      e.compared++; if (right1 && !right2) e.regressed++; if (!right1 && right2) e.fixed++;
    }
  }, 600_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const common = () => ['--db', db, '--dataset', 'big', '--criterion', 'correct'];

  it('reports the population and agreement', async () => {
    const out = join(dir, 'r.json');
    const r = await concur(['report', ...common(), '--run', '1', '--format', 'json', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(readFileSync(out, 'utf8'));
    const m = rep;
    expect(m.n).toBe(e.n);
    expect(m.excluded).toEqual({ fewShot: e.fewShot, unlabelled: 0, ambiguous: e.ambiguous, errors: e.errors, annotatorsDisagree: 0, noMajority: 0 });
    expect(m.agreement.value).toBeCloseTo(e.agree / e.n, 12);
  }, 600_000);

  it('compares two runs with McNemar over the discordant items', async () => {
    const r = await concur(['compare', ...common(), '--run', '1', '--run', '2', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const c = JSON.parse(r.stdout);
    expect({ n: c.n, b: c.mcnemar.b, c: c.mcnemar.c, fixed: c.fixed.length, regressed: c.regressed.length })
      .toEqual({ n: e.compared, b: e.regressed, c: e.fixed, fixed: e.fixed, regressed: e.regressed });
    // 83,748 vs 97,709 discordant items: far beyond chance (p underflows to 0 in doubles)
    expect(c.mcnemar.p).toBeLessThan(1e-12);
  }, 600_000);

  it('gates on agreement', async () => {
    const pass = await concur(['gate', ...common(), '--run', '1', '--min-agreement', '0.5']);
    expect(pass.code, pass.stderr).toBe(0);
    expect(pass.stdout).toContain(`n = ${e.n}`);
    const fail = await concur(['gate', ...common(), '--run', '1', '--min-agreement', '0.99']);
    expect(fail.code).toBe(1);
  }, 600_000);
});
