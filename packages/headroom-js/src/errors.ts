/** Typed errors. Every error the proxy answers carries the proxy's own message and HTTP status. */

/** Base class of every error this package throws. */
export class HeadroomError extends Error {
  /** The proxy's HTTP status, or undefined when no answer came (connection, start-up). */
  readonly status: number | undefined;

  constructor(message: string, status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.status = status;
  }
}

/** The proxy refused the request as malformed (400): bad messages, an unknown option, a bad line range. */
export class HeadroomBadRequestError extends HeadroomError {}

/** The proxy wants a token and none or a wrong one was sent (401). */
export class HeadroomAuthError extends HeadroomError {}

/** A ref no store entry answers (404): never written here, or written to another store. */
export class HeadroomRefNotFoundError extends HeadroomError {}

/** A ref whose original was evicted or expired (410). */
export class HeadroomRefExpiredError extends HeadroomError {}

/** The proxy could not be reached, or answered something that is not Headroom's JSON. */
export class HeadroomConnectionError extends HeadroomError {}

/** A local `headroom proxy` could not be found or did not come up. */
export class HeadroomProxyStartError extends HeadroomError {}

/** The error for a proxy answer with `status` and `message`. */
export function errorFor(status: number, message: string): HeadroomError {
  const Kind =
    status === 400 || status === 413 || status === 422
      ? HeadroomBadRequestError
      : status === 401 || status === 403
        ? HeadroomAuthError
        : status === 404
          ? HeadroomRefNotFoundError
          : status === 410
            ? HeadroomRefExpiredError
            : HeadroomError;
  return new Kind(message, status);
}
