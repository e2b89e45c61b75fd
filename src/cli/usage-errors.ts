/**
 * The argument parser's complaints, in migseal's words: which flag, what it needs, and for a
 * flag the command does not have, the nearest one it does.
 */
import { MigsealError } from '../errors.js';
import type { CommandSpec } from './table.js';

export function usageError(command: string, spec: CommandSpec, error: unknown): MigsealError {
  const message = String((error as Error)?.message ?? error);
  const code = (error as { code?: string })?.code;
  const usage = `Usage: ${spec.usage}`;
  const flag = /'(-{1,2}[^' ]+)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag) {
    const near = nearest(flag.replace(/^-+/, '').replace(/=.*$/, ''), Object.keys(spec.flags));
    return new MigsealError('USAGE', `${command} has no flag ${flag.replace(/=.*$/, '')}${near ? `; did you mean --${near}?` : '.'} ${usage}`, { cause: error });
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag) {
    const name = flag.replace(/^-+/, '');
    const spec_ = spec.flags[name];
    return new MigsealError('USAGE', spec_?.type === 'boolean' ? `--${name} takes no value. ${usage}` : `--${name} needs a value${spec_?.value ? ` (${spec_.value})` : ''}. ${usage}`, { cause: error });
  }
  return new MigsealError('USAGE', `${message.replace(/\. To specify.*$/s, '').replace(/\.$/, '')}. ${usage}`, { cause: error });
}

/** The candidate closest to `word` by edit distance, when it is close enough to be a typo (or `word` is its prefix). */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = name.startsWith(word) && word.length >= 2 ? 1 : editDistance(word, name);
    if (!best || distance < best.distance) best = { name, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(word.length / 3)) ? best.name : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
