// The error types live in server/errors.ts (the repositories in server/db throw some of them too).
export * from '../errors.ts';
