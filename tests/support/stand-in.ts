/**
 * The stand-in model as a server a user can start by hand (scripts/stand-in.ts): the fake OpenAI
 * server answering with the rubric-following model, reachable on a fixed port of 127.0.0.1.
 *
 * The fake server picks a random port, so a small pass-through proxy holds the requested one;
 * it forwards bytes unchanged (SSE streaming included).
 */
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFakeOpenAI, type ChatRequest } from './openai-server.ts';
import { requestKind, rubricRespond } from './rubric-model.ts';

export const STAND_IN_MODES = ['rubric'] as const;
export type StandInMode = (typeof STAND_IN_MODES)[number];

export interface StandInOptions { mode: StandInMode; port: number; latencyMs: number; quiet: boolean }

export const STAND_IN_USAGE = 'usage: npx tsx scripts/stand-in.ts --mode rubric [--port 8787] [--latency-ms 0] [--quiet]';

export class UsageError extends Error {}

/** Parses the launcher's flags; throws UsageError naming the flag that is wrong. */
export function parseStandInArgs(argv: string[]): StandInOptions {
  const opts: StandInOptions = { mode: 'rubric', port: 8787, latencyMs: 0, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    const integer = (v: string, min: number, max: number) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got "${v}"`);
      return n;
    };
    switch (flag) {
      case '--mode': {
        const m = value();
        if (!(STAND_IN_MODES as readonly string[]).includes(m)) throw new UsageError(`--mode must be one of ${STAND_IN_MODES.join(', ')}, got "${m}"`);
        opts.mode = m as StandInMode;
        break;
      }
      case '--port': opts.port = integer(value(), 0, 65535); break;
      case '--latency-ms': opts.latencyMs = integer(value(), 0, 600_000); break;
      case '--quiet': opts.quiet = true; break;
      default: throw new UsageError(`unknown option ${arg}`);
    }
  }
  return opts;
}

/** One line per request for the console: what kind it was and what the stand-in answered. */
function describeExchange(req: ChatRequest, reply: string): string {
  const kind = requestKind(req);
  let summary = '';
  try {
    const r = JSON.parse(reply) as { verdict?: string; changes?: unknown[]; modes?: unknown[]; error?: string };
    summary = r.error ? `error: ${r.error}` : r.verdict !== undefined ? `verdict ${r.verdict}` : r.changes ? `${r.changes.length} change(s)` : r.modes ? `${r.modes.length} mode(s)` : '';
  } catch { /* replies are JSON; nothing to summarise otherwise */ }
  return `${kind}: ${summary}`;
}

export interface StandIn { url: string; close(): Promise<void> }

/** Starts the stand-in on 127.0.0.1:port (0 = any free port). */
export async function startStandIn(opts: StandInOptions, log: (line: string) => void = () => {}): Promise<StandIn> {
  const fake = await startFakeOpenAI({
    latencyMs: opts.latencyMs,
    respond: (req) => {
      const reply = rubricRespond(req);
      if (!opts.quiet) log(describeExchange(req, reply));
      return reply;
    },
  });
  const upstream = new URL(fake.url);
  const proxy = createServer((req, res) => {
    const up = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    up.on('error', () => {
      if (res.headersSent) res.destroy();
      else {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'the stand-in could not answer this request', type: 'server_error', param: null, code: null } }));
      }
    });
    req.pipe(up);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      proxy.once('error', reject);
      proxy.listen(opts.port, '127.0.0.1', () => { proxy.off('error', reject); resolve(); });
    });
  } catch (e) {
    await fake.close();
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'EADDRINUSE' ? `port ${opts.port} on 127.0.0.1 is already in use; pick another with --port` : `cannot listen on 127.0.0.1:${opts.port}: ${(e as Error).message}`);
  }
  const { port } = proxy.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    async close() {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await fake.close();
    },
  };
}
