import { shellQuote } from '../../shared/shell.ts';
/**
 * Confirming a version on the held-out test split (a recorded act) and publishing a confirmed
 * version as the criterion's production judge (one at a time, with history).
 *
 * A *dev peek* is a version of this criterion (hand-written or candidate) that has a finished
 * alignment run on dev — a run with status done on the dev split (or on all splits, which includes
 * dev) of the criterion's own dataset, not a few-shot-permuted or A/B-swapped rerun. Each version
 * counts once, however often it was run. The count at confirmation time is recorded with the
 * confirmation: choosing the best of many versions on dev inflates dev, which is why test decides.
 */
import type { Workspace } from './workspace.ts';
import { isAlignmentRun } from '../../shared/runs.ts';
import type { Criterion, PromptVersion, Run } from '../../shared/types.ts';
import type { Confirmation, ConfirmationFigures, Publication } from '../db/confirmations.ts';
import { ConflictError, NotFoundError, ValidationError } from './errors.ts';

const NULL_INTERVAL = { value: null, low: null, high: null };

export class Confirmations {
  constructor(private readonly ws: Workspace) {}
  private get repos() { return this.ws.repos; }

  versionById(id: number): { version: PromptVersion; criterion: Criterion } {
    const version = this.repos.versions.get(id);
    if (!version) throw new NotFoundError(`no version #${id}`);
    return { version, criterion: this.ws.criterionById(version.criterionId) };
  }

  /** Accepts an optimizer candidate: it becomes an ordinary version (and so the latest). Accepted versions are returned as they are. */
  acceptCandidate(versionId: number, by: string): PromptVersion {
    const { version } = this.versionById(versionId);
    if (version.status === 'accepted') return version;
    const who = by?.trim();
    if (!who) throw new ValidationError('by', 'name who accepts the candidate');
    return this.repos.versions.accept(version.id, who)!;
  }

  /** The version's latest finished alignment run that covers test (split test or all). */
  testRun(criterion: Criterion, version: PromptVersion): Run | null {
    return this.repos.runs.list(criterion.id)
      .filter((r) => r.versionId === version.id && r.status === 'done' && isAlignmentRun(r, criterion.datasetId) && (r.split === 'test' || r.split === 'all'))
      .sort((a, b) => b.id - a.id)[0] ?? null;
  }

  /** Versions of the criterion scored on dev so far (see the module comment). */
  devPeeks(criterion: Criterion): number {
    const peeked = new Set<number>();
    for (const r of this.repos.runs.list(criterion.id)) {
      if (r.versionId !== null && r.status === 'done' && isAlignmentRun(r, criterion.datasetId) && (r.split === 'dev' || r.split === 'all')) peeked.add(r.versionId);
    }
    return peeked.size;
  }

  /** Records a confirmation on test from the version's existing test run (no new judge calls). */
  confirm(versionId: number, by: string): Confirmation {
    const who = by?.trim();
    if (!who) throw new ValidationError('by', 'name who confirms (e.g. --by maria.chen)');
    const { version, criterion } = this.versionById(versionId);
    const dataset = this.ws.dataset(criterion.datasetId);
    if (version.status === 'candidate') throw new ConflictError(`v${version.number} is an optimizer candidate: accept it first, then confirm it on test`, 'candidate_not_accepted');
    const run = this.testRun(criterion, version);
    if (!run) {
      throw new ConflictError(`run v${version.number} on test first: concur run --dataset ${shellQuote(dataset.name)} --criterion ${shellQuote(criterion.name)} --version ${version.number} --split test`, 'no_test_run');
    }
    const r = this.ws.report(criterion, { runId: run.id, split: 'test' }).report as { n: number; agreement: ConfirmationFigures['agreement']; kappa: ConfirmationFigures['kappa']; tpr?: ConfirmationFigures['tpr']; tnr?: ConfirmationFigures['tnr']; excluded: ConfirmationFigures['excluded'] };
    if (r.n === 0) throw new ConflictError(`the test run #${run.id} of v${version.number} has no labelled test items to measure; label test items first`, 'no_test_items');
    const figures: ConfirmationFigures = { n: r.n, agreement: r.agreement, kappa: r.kappa, tpr: r.tpr ?? NULL_INTERVAL, tnr: r.tnr ?? NULL_INTERVAL, excluded: r.excluded };
    return this.repos.confirmations.confirm({ criterionId: criterion.id, versionId: version.id, runId: run.id, by: who, figures, devPeeks: this.devPeeks(criterion) });
  }

  /** Publishes a confirmed version; the previously published one (if any) is unpublished in the same step. */
  publish(versionId: number, by: string): Publication {
    const who = by?.trim();
    if (!who) throw new ValidationError('by', 'name who publishes (e.g. --by maria.chen)');
    const { version, criterion } = this.versionById(versionId);
    const confirmation = this.repos.confirmations.latestConfirmationOf(version.id);
    if (!confirmation) {
      const dataset = this.ws.dataset(criterion.datasetId);
      throw new ConflictError(`v${version.number} is not confirmed on test; confirm it first: concur confirm --dataset ${shellQuote(dataset.name)} --criterion ${shellQuote(criterion.name)} --version ${version.number} --by NAME`, 'not_confirmed');
    }
    const active = this.repos.confirmations.active(criterion.id);
    if (active?.versionId === version.id) return active;
    return this.repos.confirmations.publish(criterion.id, version.id, confirmation.id, who);
  }

  unpublish(criterion: Criterion, by: string): Publication {
    const who = by?.trim();
    if (!who) throw new ValidationError('by', 'name who unpublishes');
    const ended = this.repos.confirmations.unpublish(criterion.id, who);
    if (!ended) throw new ConflictError(`"${criterion.name}" has no published version`, 'not_published');
    return ended;
  }

  history(criterion: Criterion) {
    return { published: this.repos.confirmations.active(criterion.id), publications: this.repos.confirmations.publications(criterion.id), confirmations: this.repos.confirmations.confirmations(criterion.id), devPeeks: this.devPeeks(criterion) };
  }
}
