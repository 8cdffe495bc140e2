/**
 * The real app for inject() tests, built as `serve` builds it (loopback, a fixed port), whose
 * inject() sends the Host a browser would send to it (`127.0.0.1:<port>`), so every inject test
 * goes through the allowed-hosts check instead of being exempted from it.
 */
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildApp, type AppOptions } from '../../server/app.ts';

/** The port the test apps are built for (the default `serve` port); nothing listens on it. */
export const TEST_PORT = 5174;

export async function buildTestApp(opts: AppOptions): Promise<FastifyInstance> {
  const port = opts.port ?? TEST_PORT;
  const app = await buildApp({ ...opts, port });
  const host = `127.0.0.1:${port}`;
  const inject = app.inject.bind(app) as (o: InjectOptions) => ReturnType<FastifyInstance['inject']>;
  const withHost = (o: InjectOptions | string): InjectOptions => {
    const options = typeof o === 'string' ? { url: o } : o;
    return { ...options, headers: { host, ...options.headers } };
  };
  app.inject = ((o: InjectOptions | string) => inject(withHost(o))) as FastifyInstance['inject'];
  return app;
}
