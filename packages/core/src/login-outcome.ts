const passwordAccepted = new WeakSet<object>();

/**
 * Marks a login answer that is a refusal only for want of a second factor: the password was
 * right. A login rate limit then gives the IP its attempt back, as for a success, but keeps the
 * username's count until the code step succeeds, so codes cannot be guessed at the password's pace.
 *
 * @example
 * markPasswordAccepted(res); throw mfaRequired(realm);
 */
export function markPasswordAccepted(res: object): void {
  passwordAccepted.add(res);
}

/** Whether `markPasswordAccepted` was called for this response. */
export function isPasswordAccepted(res: object): boolean {
  return passwordAccepted.has(res);
}
