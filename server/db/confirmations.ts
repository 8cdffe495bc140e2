import type { DB } from './open.ts';

/** The test figures recorded with a confirmation (intervals as value/low/high). */
export interface ConfirmationFigures {
  n: number;
  agreement: { value: number | null; low: number | null; high: number | null };
  kappa: { value: number | null; low: number | null; high: number | null; se?: number | null; reason?: string };
  tpr: { value: number | null; low: number | null; high: number | null };
  tnr: { value: number | null; low: number | null; high: number | null };
  excluded: { fewShot: number; unlabelled: number; ambiguous: number; errors: number; noMajority?: number; annotatorsDisagree?: number };
}

export interface Confirmation {
  id: number; criterionId: number; versionId: number; versionNumber: number; runId: number; split: 'test';
  /** 1 for the first confirmation of this criterion on its test split, 2 for the second, … */
  sequence: number;
  confirmedBy: string; confirmedAt: string; figures: ConfirmationFigures; devPeeks: number;
}

export interface Publication {
  id: number; criterionId: number; versionId: number; versionNumber: number; confirmationId: number;
  publishedBy: string; publishedAt: string; unpublishedBy: string | null; unpublishedAt: string | null;
}

interface ConfirmationRow { id: number; criterion_id: number; version_id: number; number: number; run_id: number; split: 'test'; sequence: number; confirmed_by: string; confirmed_at: string; figures: string; dev_peeks: number }
interface PublicationRow { id: number; criterion_id: number; version_id: number; number: number; confirmation_id: number; published_by: string; published_at: string; unpublished_by: string | null; unpublished_at: string | null }

const toConfirmation = (r: ConfirmationRow): Confirmation => ({
  id: r.id, criterionId: r.criterion_id, versionId: r.version_id, versionNumber: r.number, runId: r.run_id, split: r.split, sequence: r.sequence,
  confirmedBy: r.confirmed_by, confirmedAt: r.confirmed_at, figures: JSON.parse(r.figures), devPeeks: r.dev_peeks,
});
const toPublication = (r: PublicationRow): Publication => ({
  id: r.id, criterionId: r.criterion_id, versionId: r.version_id, versionNumber: r.number, confirmationId: r.confirmation_id,
  publishedBy: r.published_by, publishedAt: r.published_at, unpublishedBy: r.unpublished_by, unpublishedAt: r.unpublished_at,
});

/** Confirmations on test (a record, never changed) and publications (one active per criterion, history kept). */
export function confirmationsRepository(db: DB) {
  const C = `SELECT c.*, v.number FROM confirmations c JOIN prompt_versions v ON v.id = c.version_id`;
  const P = `SELECT p.*, v.number FROM publications p JOIN prompt_versions v ON v.id = p.version_id`;
  const insertConfirmation = db.prepare(`INSERT INTO confirmations (criterion_id, version_id, run_id, split, sequence, confirmed_by, figures, dev_peeks)
    VALUES (@criterionId, @versionId, @runId, 'test',
      (SELECT coalesce(max(sequence), 0) + 1 FROM confirmations WHERE criterion_id = @criterionId AND split = 'test'),
      @by, @figures, @devPeeks)`);
  const confirmationById = db.prepare<[number], ConfirmationRow>(`${C} WHERE c.id = ?`);
  const confirmationsOf = db.prepare<[number], ConfirmationRow>(`${C} WHERE c.criterion_id = ? ORDER BY c.sequence`);
  const latestOfVersion = db.prepare<[number], ConfirmationRow>(`${C} WHERE c.version_id = ? ORDER BY c.id DESC LIMIT 1`);
  const publicationsOf = db.prepare<[number], PublicationRow>(`${P} WHERE p.criterion_id = ? ORDER BY p.id`);
  const active = db.prepare<[number], PublicationRow>(`${P} WHERE p.criterion_id = ? AND p.unpublished_at IS NULL`);
  const publicationById = db.prepare<[number], PublicationRow>(`${P} WHERE p.id = ?`);
  const endActive = db.prepare(`UPDATE publications SET unpublished_at = strftime('%Y-%m-%dT%H:%M:%fZ','now'), unpublished_by = ?
    WHERE criterion_id = ? AND unpublished_at IS NULL`);
  const insertPublication = db.prepare(`INSERT INTO publications (criterion_id, version_id, confirmation_id, published_by) VALUES (?, ?, ?, ?)`);

  // IMMEDIATE: two confirmations at once still get distinct sequence numbers (and the UNIQUE index backs it).
  const confirm = db.transaction((c: { criterionId: number; versionId: number; runId: number; by: string; figures: ConfirmationFigures; devPeeks: number }) =>
    Number(insertConfirmation.run({ ...c, figures: JSON.stringify(c.figures) }).lastInsertRowid));
  // One active publication: publishing ends the previous one in the same transaction.
  const publish = db.transaction((criterionId: number, versionId: number, confirmationId: number, by: string) => {
    endActive.run(by, criterionId);
    return Number(insertPublication.run(criterionId, versionId, confirmationId, by).lastInsertRowid);
  });
  const unpublish = db.transaction((criterionId: number, by: string) => {
    const current = active.get(criterionId);
    if (!current) return null;
    endActive.run(by, criterionId);
    return current.id;
  });

  return {
    confirm(c: { criterionId: number; versionId: number; runId: number; by: string; figures: ConfirmationFigures; devPeeks: number }): Confirmation {
      return toConfirmation(confirmationById.get(confirm.immediate(c))!);
    },
    confirmations: (criterionId: number) => confirmationsOf.all(criterionId).map(toConfirmation),
    latestConfirmationOf: (versionId: number) => { const r = latestOfVersion.get(versionId); return r ? toConfirmation(r) : null; },
    publish(criterionId: number, versionId: number, confirmationId: number, by: string): Publication {
      return toPublication(publicationById.get(publish.immediate(criterionId, versionId, confirmationId, by))!);
    },
    /** Ends the active publication; the ended one, or null when none was active. */
    unpublish(criterionId: number, by: string): Publication | null {
      const id = unpublish.immediate(criterionId, by);
      return id === null ? null : toPublication(publicationById.get(id)!);
    },
    publications: (criterionId: number) => publicationsOf.all(criterionId).map(toPublication),
    active: (criterionId: number) => { const r = active.get(criterionId); return r ? toPublication(r) : null; },
  };
}
