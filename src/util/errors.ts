/**
 * An error the user can fix: bad flag, bad file, options that do not fit the data.
 * The CLI prints its message as one line and exits with `exitCode`, never a stack trace.
 */
export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}
