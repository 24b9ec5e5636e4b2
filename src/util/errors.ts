/**
 * An error caused by the user's input (a file, a flag, a config field). The CLI prints its
 * message without a stack trace and exits with code 2; anything else is a bug and keeps its stack.
 */
export class UserError extends Error {
  override name = 'UserError';
}
