// The error for a OneGate answer that does not have the expected shape. Parsing knows nothing of the
// request, so this is not a OneGateError; the client retries on it and, when it gives up, wraps it in
// a OneGateError that names the method and path.

import { OnekeError } from '../errors.ts';

export class OneGateAnswerError extends OnekeError {
  /** Where in the answer the problem is, e.g. `SERVICE.roles[1].nodes`. */
  readonly where: string;
  readonly expected: string;

  constructor(where: string, expected: string, cause?: unknown) {
    super('ONEKE_ONEGATE_ANSWER', `malformed OneGate answer: ${where}: expected ${expected}`, cause === undefined ? {} : { cause });
    this.where = where;
    this.expected = expected;
  }
}
