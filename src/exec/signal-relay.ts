/**
 * While exec runs, SIGINT, SIGTERM and SIGHUP do not kill migseal: they are passed on to the
 * running command, and migseal waits for it to end so the private folder is always removed.
 * A signal that arrives before the command starts stops exec from starting it.
 */
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';

const RELAYED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export class SignalRelay {
  #child: ChildProcess | undefined;
  #received: NodeJS.Signals | undefined;
  #handler = (signal: NodeJS.Signals): void => {
    this.#received ??= signal;
    if (this.#child && this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill(signal);
  };

  install(): this {
    for (const s of RELAYED) process.on(s, this.#handler);
    return this;
  }

  uninstall(): void {
    for (const s of RELAYED) process.removeListener(s, this.#handler);
    this.#child = undefined;
  }

  /** The first signal migseal received, if any. */
  get received(): NodeJS.Signals | undefined {
    return this.#received;
  }

  attach(child: ChildProcess): void {
    this.#child = child;
  }
}

/** The shell convention for a process ended by a signal: 128 + its number. */
export function exitCodeForSignal(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}
