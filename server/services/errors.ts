/** A missing dataset, criterion, item, version or run. Routes answer 404, the CLI exits 1. */
export class NotFoundError extends Error {}

/** A request that is well-formed but not acceptable, naming the field. Routes answer 400. */
export class ValidationError extends Error {
  constructor(readonly field: string, message: string) { super(`${field}: ${message}`); }
}

/**
 * A request that conflicts with the state of the workspace (e.g. confirming a version that has no
 * test run yet); the message says the next step. Routes answer 409 (via `statusCode`), the CLI exits 1.
 */
export class ConflictError extends Error {
  readonly statusCode = 409;
  constructor(readonly field: string, message: string) { super(message); }
}
