import type { DB } from './open.ts';

/**
 * A large synthetic labelled workspace for benchmarks and the 1M-judgment tests, written with a
 * few set-based INSERT … SELECT statements (seconds for a million rows, where imports take
 * minutes). Everything is a deterministic function of the item index i (0-based, row id i + 1),
 * so tests can recompute every expected figure independently:
 *
 * - split: i % 10 < 2 → train, < 7 → dev, else test; dimensions feature f{i%12}, persona p{i%5},
 *   scenario s{(i*7)%9}; output length 40 + i % 97 characters;
 * - expert (principal annotator "expert"): pass iff h1(i) < 700, ambiguous iff i % 997 = 0;
 *   a second annotator "second" labels every 50th item, agreeing with the expert unless i % 150 = 0;
 * - run 1 (version 1, few-shot examples items 1, 2, 3): error iff i % 1009 = 0, else agrees with the
 *   expert iff h2(i) < 880; run 2 (version 2, no examples): error iff i % 1013 = 0, else agrees iff h3(i) < 920;
 * where h1(i) = (i * 2654435761) % 1000, h2(i) = (i * 40503 + 7) % 1000, h3(i) = (i * 69069 + 3) % 1000.
 */
export const synthetic = {
  split: (i: number) => (i % 10 < 2 ? 'train' : i % 10 < 7 ? 'dev' : 'test'),
  expertPass: (i: number) => (i * 2654435761) % 1000 < 700,
  ambiguous: (i: number) => i % 997 === 0,
  /** judge pass of run 1 on item i (null = error) */
  run1: (i: number): boolean | null => (i % 1009 === 0 ? null : ((i * 40503 + 7) % 1000 < 880) === synthetic.expertPass(i)),
  /** judge pass of run 2 on item i (null = error) */
  run2: (i: number): boolean | null => (i % 1013 === 0 ? null : ((i * 69069 + 3) % 1000 < 920) === synthetic.expertPass(i)),
  fewShotOfRun1: [1, 2, 3] as const,
};

/**
 * Fills an empty, migrated database with `n` items, labels and two done runs; returns the names to query.
 * `textPadding` appends that many characters to every input and output (realistic item sizes for
 * benchmarks: a report must not read the texts); output lengths then grow by the same amount.
 */
export function buildSyntheticWorkspace(db: DB, n: number, opts: { textPadding?: number } = {}) {
  const seq = `WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < ${n - 1})`;
  const expertPass = `((i * 2654435761) % 1000 < 700)`;
  const verdict = (judgePass: string) => `CASE WHEN ${judgePass} = ${expertPass} THEN 'pass' ELSE 'fail' END`;
  const has = (table: string, column: string) => db.prepare(`SELECT 1 FROM pragma_table_info(?) WHERE name = ?`).get(table, column) !== undefined;
  // the columns of later migrations, when the schema has them (tests also build older schemas)
  const expertColumns = has('run_items', 'expert_label_id'), reportColumns = has('items', 'output_chars');
  const pad = Math.max(0, Math.floor(opts.textPadding ?? 0));
  db.transaction(() => {
    db.exec(`INSERT INTO datasets (id, name) VALUES (1, 'big')`);
    const dims = `'{"feature":"f' || (i % 12) || '","persona":"p' || (i % 5) || '","scenario":"s' || ((i * 7) % 9) || '"}'`;
    if (reportColumns) db.exec(`${seq} INSERT OR IGNORE INTO dimension_sets (dimensions) SELECT DISTINCT ${dims} FROM s`);
    db.exec(`${seq} INSERT INTO items (id, dataset_id, external_id, input, output, dimensions, split${reportColumns ? ', output_chars, dimension_set_id' : ''})
      SELECT i + 1, 1, 'item-' || i, 'question ' || i${pad ? ` || ' ' || printf('%.${pad}c', 'q')` : ''}, substr(printf('%.200c', 'x'), 1, 40 + i % 97)${pad ? ` || printf('%.${pad}c', 'y')` : ''},
        ${dims}, CASE WHEN i % 10 < 2 THEN 'train' WHEN i % 10 < 7 THEN 'dev' ELSE 'test' END
        ${reportColumns ? `, 40 + i % 97 + ${pad}, (SELECT id FROM dimension_sets WHERE dimensions = ${dims})` : ''} FROM s`);
    db.exec(`INSERT INTO criteria (id, dataset_id, name, principal_annotator) VALUES (1, 1, 'correct', 'expert')`);
    db.exec(`${seq} INSERT INTO labels (item_id, criterion_id, annotator, verdict, ambiguous, source)
      SELECT i + 1, 1, 'expert', CASE WHEN ${expertPass} THEN 'pass' ELSE 'fail' END, i % 997 = 0, 'import' FROM s`);
    db.exec(`${seq} INSERT INTO labels (item_id, criterion_id, annotator, verdict, ambiguous, source)
      SELECT i + 1, 1, 'second', CASE WHEN ${expertPass} <> (i % 150 = 0) THEN 'pass' ELSE 'fail' END, 0, 'import' FROM s WHERE i % 50 = 0`);
    db.exec(`INSERT INTO prompt_versions (id, criterion_id, number, template, model, examples) VALUES
      (1, 1, 1, '{{input}} {{output}}', 'm', '[1,2,3]'), (2, 1, 2, '{{input}} {{output}} v2', 'm', '[]')`);
    for (const [run, version, errorEvery, agree] of [[1, 1, 1009, '(i * 40503 + 7) % 1000 < 880'], [2, 2, 1013, '(i * 69069 + 3) % 1000 < 920']] as const) {
      db.exec(`INSERT INTO runs (id, criterion_id, dataset_id, version_id, kind, name, split, scope, status, total)
        VALUES (${run}, 1, 1, ${version}, 'judged', 'v${version}', 'all', 'labelled', 'done', ${n})`);
      db.exec(expertColumns
        ? `${seq} INSERT INTO run_items (run_id, item_id, expert_label_id, expert_verdict, expert_ambiguous)
            SELECT ${run}, i + 1, cl.label_id, cl.verdict, coalesce(cl.ambiguous, 0) FROM s
            LEFT JOIN current_labels cl ON cl.criterion_id = 1 AND cl.annotator = 'expert' AND cl.item_id = i + 1`
        : `${seq} INSERT INTO run_items (run_id, item_id) SELECT ${run}, i + 1 FROM s`);
      db.exec(`${seq} INSERT INTO judgments (run_id, item_id, sample, verdict, error, critique)
        SELECT ${run}, i + 1, 0, CASE WHEN i % ${errorEvery} = 0 THEN NULL ELSE ${verdict(`(${agree})`)} END,
          CASE WHEN i % ${errorEvery} = 0 THEN 'unparseable' ELSE NULL END, 'because' FROM s`);
    }
  })();
  return { dataset: 'big', criterion: 'correct', runs: [1, 2] as const };
}
