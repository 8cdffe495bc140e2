/** Another process holding a workspace's SQLite write lock, for storage-fault tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Starts a node process that opens the file with better-sqlite3, takes the write lock
 * (BEGIN IMMEDIATE), holds it for `ms` (blocking, Atomics.wait), commits and exits.
 * Resolves once the lock is held; `exited` resolves with the exit code after the release.
 */
export async function holdWriteLock(path: string, ms: number): Promise<{ child: ChildProcess; exited: Promise<number | null> }> {
  const script = `const Database = require('better-sqlite3');
    const db = new Database(process.argv[1]);
    db.exec('BEGIN IMMEDIATE');
    process.stdout.write('locked\\n');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(process.argv[2]));
    db.exec('COMMIT');
    db.close();`;
  const child = spawn(process.execPath, ['-e', script, path, String(ms)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => { out += d; if (out.includes('locked')) resolve(); });
    child.on('exit', (code) => reject(new Error(`the lock holder exited (${code}) before taking the lock`)));
  });
  return { child, exited };
}
