// Typed errors: one class per error code of the daemon's table (server/apierr.c,
// the ErrorCode schema of proto/openapi.yaml), chosen by the reply's error.code.

export class KeyfoldError extends Error {
  /** The HTTP status (0 when there was no reply). */
  status: number;
  /** The API's error code (`not_found`, …), or `connection_error`, `bad_response`, `http_<status>`. */
  code: string;
  constructor(message: string, status: number, code: string, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
    this.code = code;
  }
}

// Each subclass fixes its code; the constructor keeps KeyfoldError's shape so
// errorFromResponse can build any of them alike.
type ErrorClass = new (message: string, status: number, code: string) => KeyfoldError;

export class InvalidArgumentError extends KeyfoldError {}
export class UnauthenticatedError extends KeyfoldError {}
export class NotFoundError extends KeyfoldError {}
export class MethodNotAllowedError extends KeyfoldError {}
export class NotAcceptableError extends KeyfoldError {}
export class AlreadyExistsError extends KeyfoldError {}
export class FailedPreconditionError extends KeyfoldError {}
export class PayloadTooLargeError extends KeyfoldError {}
export class UnsupportedMediaTypeError extends KeyfoldError {}
export class ResourceExhaustedError extends KeyfoldError {}
export class InternalError extends KeyfoldError {}
export class UnavailableError extends KeyfoldError {}
/** No answer from the daemon: refused, reset, timed out, or a body cut short. */
export class KeyfoldConnectionError extends KeyfoldError {}

/** code -> [status, class], as server/apierr.c has them. */
export const ERROR_CODES: Readonly<Record<string, readonly [number, ErrorClass]>> = {
  invalid_argument: [400, InvalidArgumentError],
  unauthenticated: [401, UnauthenticatedError],
  not_found: [404, NotFoundError],
  method_not_allowed: [405, MethodNotAllowedError],
  not_acceptable: [406, NotAcceptableError],
  already_exists: [409, AlreadyExistsError],
  failed_precondition: [409, FailedPreconditionError],
  payload_too_large: [413, PayloadTooLargeError],
  unsupported_media_type: [415, UnsupportedMediaTypeError],
  resource_exhausted: [429, ResourceExhaustedError],
  internal: [500, InternalError],
  unavailable: [503, UnavailableError],
};

// Each class's name on its prototype, spelled out rather than taken from the
// class: a minifying bundler (the console's) renames classes, and `name` is
// what a stack trace and String(error) show.
for (const [cls, name] of [
  [KeyfoldError, 'KeyfoldError'],
  [KeyfoldConnectionError, 'KeyfoldConnectionError'],
  ...Object.entries(ERROR_CODES).map(([code, [, c]]) => [c, `${code.replace(/(^|_)([a-z])/g, (_m, _u, ch: string) => ch.toUpperCase())}Error`]),
] as Array<[ErrorClass, string]>) {
  Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true });
}

/**
 * The error for a 4xx/5xx reply: the class of its `error.code`; without one (a
 * proxy's HTML page, the Open Inference Protocol's {"error": "text"}) the class
 * of its status, except 409 whose two codes cannot be told apart.
 */
export function errorFromResponse(status: number, bodyText: string): KeyfoldError {
  let code: string | undefined;
  let message: string | undefined;
  try {
    const body: unknown = JSON.parse(bodyText);
    const err = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
    if (typeof err === 'string') message = err;
    else if (typeof err === 'object' && err !== null) {
      const e = err as { code?: unknown; message?: unknown };
      if (typeof e.code === 'string') code = e.code;
      if (typeof e.message === 'string') message = e.message;
    }
  } catch {
    // not JSON: the text itself is the message
  }
  message ??= bodyText.trim().slice(0, 500) || `HTTP ${status}`;
  let entry = code === undefined ? undefined : ERROR_CODES[code];
  if (entry === undefined && status !== 409) {
    const byStatus = Object.entries(ERROR_CODES).find(([, [s]]) => s === status);
    if (byStatus !== undefined) [code, entry] = [code ?? byStatus[0], byStatus[1]];
  }
  const cls = entry?.[1] ?? KeyfoldError;
  return new cls(message, status, code ?? `http_${status}`);
}
