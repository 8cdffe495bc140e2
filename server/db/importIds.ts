import type { DB } from './open.ts';

/**
 * The external ids seen by a streaming import, in a temporary on-disk table (not a JS set), so a
 * duplicate among millions of lines is found in bounded memory. Connection-local; cleared per import.
 */
export function importIdsRepository(db: DB) {
  db.exec(`CREATE TEMP TABLE IF NOT EXISTS stream_import_ids (external_id TEXT PRIMARY KEY, line INTEGER NOT NULL) WITHOUT ROWID`);
  const remember = db.prepare(`INSERT INTO stream_import_ids (external_id, line) VALUES (?, ?) ON CONFLICT DO NOTHING`);
  const seenAt = db.prepare<[string], { line: number }>(`SELECT line FROM stream_import_ids WHERE external_id = ?`);
  const clear = db.prepare(`DELETE FROM stream_import_ids`);
  return {
    clear: () => { clear.run(); },
    /** Records an id; returns the line it was first seen on when it is a duplicate, else null. */
    remember(externalId: string, line: number): number | null {
      return remember.run(externalId, line).changes === 0 ? seenAt.get(externalId)!.line : null;
    },
  };
}
