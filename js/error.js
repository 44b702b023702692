/**
 * Every failure of the SDK. `code` is stable (see `FronteggErrorCode`); `message` is for people.
 * The runtime constructs it for the wasm core (`fail` in runtime.js), so `instanceof
 * FronteggError` holds for every rejection.
 */
export class FronteggError extends Error {
  constructor(code, message, details = {}) {
    super(message);
    this.name = "FronteggError";
    this.code = code;
    if (details.status !== undefined) this.status = details.status;
    if (details.errorCode !== undefined) this.errorCode = details.errorCode;
    if (details.traceId !== undefined) this.traceId = details.traceId;
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
  }
}
