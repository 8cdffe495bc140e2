/**
 * CLI commands for failure modes, confirmation and publication, as standalone functions: each takes
 * the parsed options and returns the text to print (errors are thrown: NotFoundError,
 * ValidationError, ConflictError — the CLI maps them to exit code 1 with the message).
 *
 *   concur confirm --dataset D --criterion C --version N --by NAME [--format json]
 *   concur publish --dataset D --criterion C --version N --by NAME [--format json]
 *   concur unpublish --dataset D --criterion C --by NAME [--format json]
 *   concur publications --dataset D --criterion C [--format json]
 *   concur failure-modes list   --dataset D --criterion C [--format json]
 *   concur failure-modes group  --dataset D --criterion C --by NAME [--splits train,dev] [--profile P] [--model M [--base-url URL] [--api-key-env VAR|none]] [--format json]
 *   concur failure-modes accept --dataset D --criterion C --by NAME [--file modes.json]
 *   concur failure-modes rates  --dataset D --criterion C [--format json]
 *   concur failure-modes criterion --dataset D --criterion C --mode NAME [--name NEW]
 *
 * `concur report` and `concur gate` take `--version published` through `parseVersionRef`.
 */
import { readFileSync } from 'node:fs';
import type { Workspace } from '../services/workspace.ts';
import type { Split } from '../../shared/types.ts';
import { FailureModes, type Proposal } from '../services/failure-modes.ts';
import { Confirmations } from '../services/confirmations.ts';
import { ValidationError, NotFoundError } from '../services/errors.ts';
import { ordinal } from '../../shared/ordinal.ts';

export interface CriterionOptions { dataset: string; criterion: string; format?: 'json' | 'text' }

const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);
const iv = (i: { value: number | null; low: number | null; high: number | null }, f: (x: number | null) => string = pct) =>
  (i.value === null ? 'undefined' : `${f(i.value)} (95% CI ${f(i.low)}–${f(i.high)})`);
const json = (x: unknown) => JSON.stringify(x, null, 2);

/** `--version N | latest | published` → what Workspace.report/resolveRun and Workspace.version take. */
export function parseVersionRef(value: string | undefined): number | 'latest' | 'published' | undefined {
  if (value === undefined) return undefined;
  if (value === 'latest' || value === 'published') return value;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new ValidationError('version', `must be a version number, "latest" or "published", got "${value}"`);
  return Number(value);
}

function versionOf(ws: Workspace, o: CriterionOptions & { version: string }) {
  const c = ws.criterion(o.dataset, o.criterion);
  const ref = parseVersionRef(o.version);
  if (ref === undefined || ref === 'published') throw new ValidationError('version', 'name a version number (or latest)');
  return ws.version(c, ref);
}

/** Accepts an optimizer candidate: it becomes an ordinary version (and so the latest). */
export function acceptCommand(ws: Workspace, o: CriterionOptions & { version: string; by: string }): string {
  const v = new Confirmations(ws).acceptCandidate(versionOf(ws, o).id, o.by);
  return o.format === 'json' ? json(v) : `accepted v${v.number} of "${o.criterion}": it is now an ordinary version and the latest (by ${o.by.trim()})`;
}

export function confirmCommand(ws: Workspace, o: CriterionOptions & { version: string; by: string }): string {
  const c = new Confirmations(ws).confirm(versionOf(ws, o).id, o.by);
  if (o.format === 'json') return json(c);
  const f = c.figures;
  return [
    `confirmed v${c.versionNumber} of "${o.criterion}" on test (${ordinal(c.sequence)} confirmation on this test split), by ${c.confirmedBy} at ${c.confirmedAt}`,
    `  run #${c.runId}, n = ${f.n} labelled test items`,
    `  agreement ${iv(f.agreement)}; kappa ${iv(f.kappa, (x) => (x === null ? '—' : x.toFixed(3)))}; TPR ${iv(f.tpr)}; TNR ${iv(f.tnr)}`,
    `  dev peeks before it: ${c.devPeeks} version(s) scored on dev`,
  ].join('\n');
}

export function publishCommand(ws: Workspace, o: CriterionOptions & { version: string; by: string }): string {
  const p = new Confirmations(ws).publish(versionOf(ws, o).id, o.by);
  return o.format === 'json' ? json(p) : `published v${p.versionNumber} of "${o.criterion}" as its production judge (by ${p.publishedBy} at ${p.publishedAt})`;
}

export function unpublishCommand(ws: Workspace, o: CriterionOptions & { by: string }): string {
  const p = new Confirmations(ws).unpublish(ws.criterion(o.dataset, o.criterion), o.by);
  return o.format === 'json' ? json(p) : `unpublished v${p.versionNumber} of "${o.criterion}"; no version is published now`;
}

export function publicationsCommand(ws: Workspace, o: CriterionOptions): string {
  const h = new Confirmations(ws).history(ws.criterion(o.dataset, o.criterion));
  if (o.format === 'json') return json(h);
  const lines = [h.published ? `published: v${h.published.versionNumber} (since ${h.published.publishedAt}, by ${h.published.publishedBy})` : 'published: none'];
  for (const c of h.confirmations) lines.push(`confirmation ${c.sequence}: v${c.versionNumber} by ${c.confirmedBy} at ${c.confirmedAt}, n = ${c.figures.n}, agreement ${iv(c.figures.agreement)}, dev peeks ${c.devPeeks}`);
  for (const p of h.publications) lines.push(`publication: v${p.versionNumber} from ${p.publishedAt}${p.unpublishedAt ? ` to ${p.unpublishedAt}` : ' (active)'}`);
  return lines.join('\n');
}

export async function failureModesCommand(ws: Workspace, action: string, o: CriterionOptions & { by?: string; splits?: string; file?: string; mode?: string; name?: string; model?: string; baseUrl?: string; apiKeyEnv?: string; profile?: string }): Promise<string> {
  const c = ws.criterion(o.dataset, o.criterion);
  const modes = new FailureModes(ws);
  switch (action) {
    case 'list': {
      const list = modes.list(c);
      if (o.format === 'json') return json(list);
      if (!list.length) return `"${c.name}" has no accepted failure modes yet: tag failing items in Expert review, then concur failure-modes group`;
      return list.map((m) => `${m.name} (${m.items.length} items, from ${m.builtFromSplits.join('+')}): ${m.definition}`).join('\n');
    }
    case 'group': {
      if (!o.by) throw new ValidationError('by', 'name who groups (--by NAME)');
      const splits = o.splits ? (o.splits.split(',').map((s) => s.trim()) as Split[]) : undefined;
      if (o.profile && (o.baseUrl !== undefined || o.apiKeyEnv !== undefined)) throw new ValidationError('profile', 'name either an endpoint profile (--profile P) or --base-url and --api-key-env, not both');
      if (!o.model && !o.profile && (o.baseUrl !== undefined || o.apiKeyEnv !== undefined)) throw new ValidationError('model', 'name the model to group with (--model M); --base-url and --api-key-env go with it');
      const model = o.profile ? { model: o.model ?? '', profile: o.profile } : o.model ? { model: o.model, baseUrl: o.baseUrl ?? null, ...(o.apiKeyEnv !== undefined ? { apiKeyEnv: o.apiKeyEnv } : {}) } : undefined;
      const p = await modes.group(c, { by: o.by, splits, model });
      if (o.format === 'json') return json(p);
      const ext = new Map(p.critiques.map((x) => [x.itemId, x.externalId]));
      const lines = [p.source === 'model'
        ? `proposed ${p.modes.length} failure mode(s) with ${o.profile ? `${o.model || ws.repos.profiles.byName(o.profile)?.model} (profile ${o.profile})` : o.model} from the critiques of ${p.critiques.length} failing ${p.splits.join('+')} items (${p.unassigned.length} unassigned):`
        : `proposed ${p.modes.length} failure mode(s) from the tags of ${p.critiques.length} failing ${p.splits.join('+')} items (${p.unassigned.length} untagged):`];
      for (const m of p.modes) lines.push(`  ${m.name} (${m.items.length}): ${m.items.map((id) => ext.get(id)).join(', ')}`);
      lines.push('accept as is with: concur failure-modes accept … --by NAME (or edit the JSON of --format json and pass it with --file)');
      return lines.join('\n');
    }
    case 'accept': {
      if (!o.by) throw new ValidationError('by', 'name who accepts (--by NAME)');
      let input: { modes: Proposal['modes']; source?: 'tags' | 'model'; splits?: Split[] } | null;
      if (o.file) {
        try { input = JSON.parse(readFileSync(o.file, 'utf8')); } catch (e) { throw new ValidationError('file', `${o.file}: ${(e as Error).message}`); }
      } else {
        input = modes.pending(c);
        if (!input) throw new NotFoundError(`"${c.name}" has no pending proposal: run concur failure-modes group first`);
      }
      const accepted = modes.accept(c, { modes: input!.modes, source: input!.source, splits: input!.splits, by: o.by });
      return o.format === 'json' ? json(accepted) : `accepted ${accepted.length} failure mode(s): ${accepted.map((m) => m.name).join(', ')}`;
    }
    case 'rates': {
      const rates = modes.rates(c);
      if (o.format === 'json') return json(rates);
      return rates.map((r) => [`${r.name}: ${r.overall.k}/${r.overall.n} = ${iv(r.overall.rate)} — population: ${r.population}`,
        ...r.slices.map((s) => `  ${s.dimension}=${s.value}: ${s.k}/${s.n} ${iv(s.rate)}${s.small ? ' (small)' : ''}`)].join('\n')).join('\n');
    }
    case 'criterion': {
      const m = modes.list(c).find((x) => x.name === o.mode);
      if (!m) throw new NotFoundError(`no accepted failure mode "${o.mode ?? ''}" on "${c.name}"`);
      const r = modes.makeCriterion(m.id, { name: o.name });
      return o.format === 'json' ? json(r) : `made criterion "${r.criterion.name}" with ${r.suggested.fail} suggested fail and ${r.suggested.pass} suggested pass labels (confirm them in Expert review)`;
    }
    default:
      throw new ValidationError('action', `failure-modes takes list, group, accept, rates or criterion, not "${action}"`);
  }
}
