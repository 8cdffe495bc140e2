/** A missing dataset, criterion, item, version or run. Routes answer 404, the CLI exits 1. */
export class NotFoundError extends Error {}

/** A request that is well-formed but not acceptable, naming the field. Routes answer 400. */
export class ValidationError extends Error {
  constructor(readonly field: string, message: string) { super(`${field}: ${message}`); }
}
