import { hostname } from 'node:os';

/** An owner `host:pid` on this machine whose process no longer exists (e.g. after kill -9). */
export function ownerIsDead(owner: string): boolean {
  const at = owner.lastIndexOf(':');
  const host = owner.slice(0, at), pid = Number(owner.slice(at + 1));
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

