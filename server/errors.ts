/**
 * The errors a user can act on. Services throw them; they are mapped once to HTTP (server/app.ts's
 * error handler: `status`, and a body with `error`, `code` and, where known, `field`, `file`, `line`)
 * and once for the CLI (server/cli/index.ts: one line on stderr, exit code 2). Anything else is a
 * defect: HTTP answers 500 with an error id that the server's stderr log carries with the details.
 *
 * Clients branch on `code` (stable, snake_case), never on `field` or the message text.
 */
export interface UserErrorDetails {
  /** Stable machine-readable reason, e.g. "not_found", "no_test_run". */
  code?: string;
  /** The request field or CLI option at fault. */
  field?: string | null;
  /** The input file and 1-based line at fault. */
  file?: string | null;
  line?: number | null;
  /** HTTP status: 400 (bad request), 404 (missing), 409 (conflict), 502 (the judge endpoint), 503 (busy, retry). */
  status?: UserErrorStatus;
  /** the same request may succeed if sent again shortly (HTTP adds Retry-After) */
  retryable?: boolean;
}

export type UserErrorStatus = 400 | 404 | 409 | 502 | 503;

/** A problem the user can fix: bad input, a missing thing, a conflicting state. */
export class UserError extends Error {
  readonly code: string;
  readonly field: string | null;
  readonly file: string | null;
  readonly line: number | null;
  readonly status: UserErrorStatus;
  readonly retryable: boolean;
  constructor(message: string, details: UserErrorDetails = {}) {
    super(message);
    this.name = new.target.name;
    this.code = details.code ?? 'invalid';
    this.field = details.field ?? null;
    this.file = details.file ?? null;
    this.line = details.line ?? null;
    this.status = details.status ?? 400;
    this.retryable = details.retryable ?? false;
  }
}

/** A missing dataset, criterion, item, version or run: 404. */
export class NotFoundError extends UserError {
  constructor(message: string, code = 'not_found') { super(message, { code, status: 404 }); }
}

/** A well-formed request whose value is not acceptable, naming the field: 400. */
export class ValidationError extends UserError {
  constructor(field: string, message: string, code = 'invalid_value') { super(`${field}: ${message}`, { code, field }); }
}

/** A request that conflicts with the current state (e.g. a run already executing elsewhere): 409. */
export class ConflictError extends UserError {
  constructor(message: string, code = 'conflict') { super(message, { code, status: 409 }); }
}

/** The judge endpoint is not configured (400) or answered unusably (502). */
export class EndpointError extends UserError {
  constructor(message: string, details: { code?: string; status?: 400 | 502; field?: string } = {}) {
    super(message, { code: details.code ?? 'endpoint_not_configured', status: details.status ?? 400, field: details.field });
  }
}

/**
 * A report or gate against an annotator with no labels on the criterion while others have some
 * (an unknown --annotator, or a principal annotator who has not labelled): 400, naming the
 * annotators that do have labels so the user can pick one or make one principal.
 */
export class AnnotatorWithoutLabelsError extends UserError {
  constructor(message: string, readonly withLabels: string[]) { super(message, { code: 'annotator_has_no_labels', field: 'annotator' }); }
}

/** The workspace file cannot be opened: not a database, a newer schema, unreadable. */
export class WorkspaceError extends UserError {
  constructor(path: string, reason: string, cause?: unknown) {
    super(`cannot open workspace ${path}: ${reason}`, { code: 'workspace_unusable', field: 'db' });
    if (cause !== undefined) this.cause = cause;
  }
}
