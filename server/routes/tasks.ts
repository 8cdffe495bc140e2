import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { IdParams } from '../../shared/schemas.ts';
import { ModelCallPageSchema, TaskSchema } from '../../shared/api/tasks.ts';
import type { Task } from '../db/tasks.ts';
import { eventStream } from '../http/event-stream.ts';
import { cancelTask, FINAL_STATUSES, listTasks, runCalls, task, taskCalls } from '../services/tasks.ts';

const PageQuery = Type.Object({ limit: Type.Optional(Type.Integer()), offset: Type.Optional(Type.Integer()) });

export const taskRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ws = app.workspace;

  /** Engine tasks (proposer, critique grouping, …), newest first; `criterion` keeps one criterion's. */
  app.get('/tasks', { schema: { querystring: Type.Object({ criterion: Type.Optional(Type.Integer()), limit: Type.Optional(Type.Integer()) }), response: { 200: Type.Array(TaskSchema) } } },
    async (req) => listTasks(ws, { criterionId: req.query.criterion, limit: req.query.limit }));

  app.get('/tasks/:id', { schema: { params: IdParams, response: { 200: TaskSchema } } }, async (req) => task(ws, req.params.id));

  app.post('/tasks/:id/cancel', { schema: { params: IdParams, response: { 200: TaskSchema } } }, async (req) => cancelTask(ws, req.params.id));

  /** The task's recorded model calls (what went where, what came back within the reply cap, tokens, cost, latency). */
  app.get('/tasks/:id/calls', { schema: { params: IdParams, response: { 200: ModelCallPageSchema } } }, async (req) => taskCalls(ws, req.params.id));

  /** One page of a judge run's recorded model calls (`limit` ≤ 1000, default 100). */
  app.get('/runs/:id/calls', { schema: { params: IdParams, querystring: PageQuery, response: { 200: ModelCallPageSchema } } },
    async (req) => runCalls(ws, req.params.id, req.query));

  /**
   * A task's status as server-sent events (`task` on every change, `end` when it has ended). A task
   * executed by this process streams the engine's events; one executed elsewhere (e.g. by a CLI
   * command) is read from the database every second.
   */
  app.get('/tasks/:id/events', { schema: { params: IdParams } }, async (req, reply) => {
    const first = task(ws, req.params.id);
    const stream = eventStream(req, reply);
    const end = () => stream.end({ event: 'end', data: task(ws, first.id) });
    stream.send('task', first);
    if (FINAL_STATUSES.has(first.status)) { end(); return; }
    let lastStatus = first.status;
    const onTask = (t: Task) => {
      if (t.id !== first.id) return;
      lastStatus = t.status;
      stream.send('task', t);
      if (FINAL_STATUSES.has(t.status)) end();
    };
    const poll = setInterval(() => {
      const t = task(ws, first.id);
      if (t.status !== lastStatus) onTask(t);
    }, 1000);
    ws.engine.on('task', onTask);
    stream.onClose(() => { clearInterval(poll); ws.engine.off('task', onTask); });
  });
};
