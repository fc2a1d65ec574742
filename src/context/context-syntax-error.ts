// The parsers know the line but not the file; the loader wraps this into a ContextError with the path.

import { OnekeError } from '../errors.ts';

/** A line of a context file that is neither a comment nor `NAME=…`, or a quote that never closes. */
export class ContextSyntaxError extends OnekeError {
  /** 1-based line number where the problem starts. */
  readonly line: number;
  readonly reason: string;

  constructor(line: number, reason: string) {
    super('ONEKE_CONTEXT_SYNTAX', `line ${line}: ${reason}`);
    this.line = line;
    this.reason = reason;
  }
}
