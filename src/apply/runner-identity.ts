/** Who and where a run happened, for history rows and audit records. */
import { hostname, userInfo } from 'node:os';

export interface RunnerIdentity {
  host: string;
  osUser: string;
  /** user@host, as recorded in applied_by. */
  label: string;
}

export function runnerIdentity(env: Record<string, string | undefined> = process.env): RunnerIdentity {
  let osUser: string;
  try {
    osUser = userInfo().username;
  } catch {
    osUser = env.USER ?? env.LOGNAME ?? `uid:${process.getuid?.() ?? '?'}`;
  }
  const host = hostname();
  return { host, osUser, label: `${osUser}@${host}` };
}
