/**
 * The report worker: a thread with its own read-only connection to the workspace file, computing
 * the heavy reads the server posts to it (see HeavyReads in reports.ts), one at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openWorkspaceReadOnly } from '../db/index.ts';
import { Workspace } from './workspace.ts';
import { computeHeavy, DashboardCache, toWire, type HeavyRequest } from './reports.ts';

const ws = new Workspace(openWorkspaceReadOnly((workerData as { path: string }).path));
const cache = new DashboardCache();

parentPort!.on('message', ({ id, req }: { id: number; req: HeavyRequest }) => {
  try {
    parentPort!.postMessage({ id, result: computeHeavy(ws, req, cache) });
  } catch (e) {
    parentPort!.postMessage({ id, error: toWire(e) });
  }
});
