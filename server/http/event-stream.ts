import type { FastifyReply, FastifyRequest } from 'fastify';

export interface EventStream {
  /** Writes one server-sent event (nothing once the stream has ended). */
  send(event: string, data: unknown): void;
  /** Runs `fn` when the stream ends: by {@link end} or because the client went away. */
  onClose(fn: () => void): void;
  /** Sends `last` (when given), runs the close callbacks and ends the response; only the first call does anything. */
  end(last?: { event: string; data: unknown }): void;
}

/**
 * Turns a request into a server-sent event stream (the runs', optimizations' and tasks' live
 * progress): the reply is hijacked, a keep-alive comment goes out every 15 s, and everything
 * registered with onClose runs exactly once, whether the stream ends here or the client leaves.
 */
export function eventStream(req: FastifyRequest, reply: FastifyReply): EventStream {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const closers: Array<() => void> = [];
  let closed = false;
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(keepAlive);
    for (const fn of closers) fn();
  };
  req.raw.on('close', close);
  const send = (event: string, data: unknown) => { if (!closed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`); };
  return {
    send,
    onClose: (fn) => { closers.push(fn); },
    end(last) {
      if (closed) return;
      if (last) send(last.event, last.data);
      close();
      res.end();
    },
  };
}
