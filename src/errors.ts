/**
 * A mistake the user can fix (bad flag, missing file, malformed CSV). The CLI prints its message alone,
 * never a stack trace; anything else that escapes is a bug and is shown with its stack.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "UserError";
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}
