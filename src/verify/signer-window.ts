/**
 * Checks a key's or identity's validity window. Normally the window must hold now. A key
 * the policy marks `retired` (past notAfter, not revoked) is still accepted when a trusted
 * time (a transparency-log entry or a timestamp) shows the signature was made inside it.
 */
export interface ValidityWindow {
  notBefore?: Date;
  notAfter?: Date;
}

export function withinWindow(window: ValidityWindow, date: Date): boolean {
  return (!window.notBefore || date >= window.notBefore) && (!window.notAfter || date <= window.notAfter);
}

/** Returns why the signer is not valid (a phrase), or undefined when it is. */
export function signerWindowProblem(window: ValidityWindow, retired: boolean, now: Date, trustedTimes: readonly Date[]): string | undefined {
  if (withinWindow(window, now)) return undefined;
  const expired = window.notAfter !== undefined && now > window.notAfter;
  if (expired && retired) {
    if (trustedTimes.length === 0) return `is retired ${windowText(window)} and the signature carries no trusted time that shows it was made inside that window`;
    const outside = trustedTimes.find((t) => !withinWindow(window, t));
    if (outside) return `is retired ${windowText(window)} and the signature was made at ${outside.toISOString()}, outside that window`;
    return undefined;
  }
  return `is outside its validity window ${windowText(window)}`;
}

function windowText(window: ValidityWindow): string {
  return `(${window.notBefore?.toISOString() ?? '…'} to ${window.notAfter?.toISOString() ?? '…'})`;
}
