import type { Command } from 'commander';
import { leaf, num, openDb, printList, type CliContext, type DbOption } from '../common.ts';
import { cancelTask, listTasks, runCalls, task, taskCalls } from '../../services/tasks.ts';
import { usd } from '../../../shared/format.ts';

interface ListOpts extends DbOption { dataset?: string; criterion?: string; limit?: string; format?: string }
interface IdOpts extends DbOption { format?: string; limit?: string; offset?: string }


export function register(program: Command, ctx: CliContext) {
  const group = program.command('tasks').description('engine tasks that are not judge runs (proposer, critique grouping) and the record of every model call');
  leaf<ListOpts>(group, ctx, 'list', 'engine tasks, newest first (of one criterion with --dataset and --criterion)',
    (c) => c.option('--dataset <name>', 'with --criterion: only this criterion\'s tasks').option('--criterion <name>', 'with --dataset: only this criterion\'s tasks')
      .option('--limit <n>', 'at most this many (1–1000)', '50').option('--format <json|table>', 'output format', 'table'),
    (o) => {
      const ws = openDb(o.db);
      const criterionId = o.dataset !== undefined || o.criterion !== undefined ? ws.criterion(o.dataset ?? '', o.criterion ?? '').id : undefined;
      const tasks = listTasks(ws, { criterionId, limit: num(o.limit, 'limit', true) });
      if (!tasks.length && o.format !== 'json') {
        console.log(`no engine tasks${criterionId === undefined ? '' : ' of this criterion'} yet: the optimizer's proposer and failure-mode grouping with a model create them (judge runs: concur runs list)`);
        return 0;
      }
      printList(tasks, o.format,
        (t) => ({ id: t.id, kind: t.kind, criterion: t.criterionId ?? '', model: t.model, 'base url': t.baseUrl, status: t.status, created: t.createdAt, message: t.message }));
      return 0;
    });
  leaf<IdOpts>(group, ctx, 'show <id>', 'one task with its recorded model calls (where each went, tokens, cost, latency, error)',
    (c) => c.option('--format <json|table>', 'output format', 'table'),
    (o, [id]) => {
      const ws = openDb(o.db);
      const t = task(ws, num(id, 'id', true)!);
      const { calls } = taskCalls(ws, t.id);
      if (o.format === 'json') { console.log(JSON.stringify({ ...t, calls }, null, 2)); return 0; }
      console.log(`task ${t.id} (${t.kind}): ${t.status}${t.message ? ` — ${t.message}` : ''}; ${t.model} at ${t.baseUrl}; created ${t.createdAt}`);
      printList(calls, 'table', (c) => ({ call: c.id, at: c.createdAt, cached: c.cached ? 'yes' : '', attempts: c.attempts, 'latency ms': c.latencyMs ?? '', tokens: `${c.promptTokens}+${c.completionTokens}`, cost: usd(c.cost), error: c.error ?? '' }));
      return 0;
    });
  leaf<IdOpts>(group, ctx, 'cancel <id>', 'cancel a queued or running task (another process that runs it stops within a heartbeat)',
    (c) => c,
    (o, [id]) => {
      const ws = openDb(o.db);
      const t = cancelTask(ws, num(id, 'id', true)!);
      console.log(`task ${t.id} (${t.kind}): ${t.status}${t.message ? ` — ${t.message}` : ''}`);
      return 0;
    });
  leaf<IdOpts>(group, ctx, 'calls <run>', "a judge run's recorded model calls, one per item × sample (a page: --limit, --offset)",
    (c) => c.option('--limit <n>', 'at most this many (1–1000)', '100').option('--offset <n>', 'skip this many', '0').option('--format <json|table>', 'output format', 'table'),
    (o, [run]) => {
      const ws = openDb(o.db);
      const page = runCalls(ws, num(run, 'run', true)!, { limit: num(o.limit, 'limit', true), offset: num(o.offset, 'offset', true) });
      if (o.format === 'json') { console.log(JSON.stringify(page, null, 2)); return 0; }
      if (!page.total) { console.log(`run ${run} has no recorded model calls (an imported run, or one not executed yet)`); return 0; }
      printList(page.calls, 'table', (c) => ({ call: c.id, item: c.itemId ?? '', sample: c.sample ?? '', cached: c.cached ? 'yes' : '', attempts: c.attempts, 'latency ms': c.latencyMs ?? '', tokens: `${c.promptTokens}+${c.completionTokens}`, cost: usd(c.cost), error: c.error ?? '' }));
      console.log(`${page.calls.length} of ${page.total} calls`);
      return 0;
    });
}
