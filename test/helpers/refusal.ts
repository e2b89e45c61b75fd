/**
 * The one way tests catch a refusal: the coded error a step throws (a function) or rejects
 * with (a promise, or a function returning one). The test fails when the step succeeds, or
 * fails with anything but a MigsealError, or (given `code`) with another code.
 */
import { expect } from 'vitest';
import { MigsealError, type ErrorCode } from '../../src/errors.js';
import type { CliResult } from './cli.js';

export function refusal(step: Promise<unknown> | (() => Promise<unknown>), code?: ErrorCode): Promise<MigsealError>;
export function refusal(step: () => unknown, code?: ErrorCode): MigsealError;
export function refusal(step: Promise<unknown> | (() => unknown), code?: ErrorCode): MigsealError | Promise<MigsealError> {
  const caught = (error: unknown): MigsealError => {
    expect(error).toBeInstanceOf(MigsealError);
    if (code !== undefined) expect((error as MigsealError).code, (error as MigsealError).message).toBe(code);
    return error as MigsealError;
  };
  const settled = (promise: Promise<unknown>) =>
    promise.then(
      () => expect.fail('expected a refusal, and the step succeeded'),
      (error: unknown) => caught(error),
    );
  if (typeof step !== 'function') return settled(step);
  let result: unknown;
  try {
    result = step();
  } catch (error) {
    return caught(error);
  }
  if (result instanceof Promise) return settled(result);
  return expect.fail('expected a refusal, and the step succeeded');
}

/** The error code a CLI run printed with --json, if any. */
export function codeOf(result: CliResult): string | undefined {
  try {
    return (JSON.parse(result.stdout) as { code?: string }).code;
  } catch {
    return undefined;
  }
}
