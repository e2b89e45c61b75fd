/** Maps argv to a command and its arguments, strictly: unknown flags and missing values are usage errors. */
import { parseArgs } from 'node:util';
import { MigsealError } from '../errors.js';
import type { CommandSpec } from './table.js';
import { usageError } from './usage-errors.js';

export interface ParsedCommandLine {
  name: string;
  spec: CommandSpec;
  positionals: string[];
  flags: Record<string, unknown>;
  /** The words after `--`, for commands that run another program (spec.command). */
  command?: string[];
}

export function findCommand(argv: readonly string[], commands: Record<string, CommandSpec>): { name: string; rest: string[] } | undefined {
  // Own keys only: a word such as "constructor" or "toString" names no command.
  const two = argv.slice(0, 2).join(' ');
  if (Object.hasOwn(commands, two)) return { name: two, rest: argv.slice(2) };
  if (argv[0] !== undefined && Object.hasOwn(commands, argv[0])) return { name: argv[0], rest: argv.slice(1) };
  return undefined;
}

/** The arguments migseal itself reads: everything before a `--` that starts a command to run. */
export function ownArguments(argv: readonly string[]): readonly string[] {
  const end = argv.indexOf('--');
  return end < 0 ? argv : argv.slice(0, end);
}

export function parseCommand(name: string, spec: CommandSpec, all: readonly string[]): ParsedCommandLine {
  // A command that runs another program stops reading its own flags at the first `--`.
  const end = spec.command ? all.indexOf('--') : -1;
  const rest = end < 0 ? all : all.slice(0, end);
  const command = end < 0 ? undefined : all.slice(end + 1);
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const [flag, f] of Object.entries(spec.flags)) {
    options[flag] = { type: f.type, ...(f.multiple && { multiple: true }), ...(f.short && { short: f.short }) };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: [...rest], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw usageError(name, spec, error);
  }
  const { positionals, values } = parsed;
  if (positionals.length < spec.positionals.min || positionals.length > spec.positionals.max) {
    throw new MigsealError('USAGE', `${name} takes ${describeCount(spec.positionals)}. Usage: ${spec.usage}`);
  }
  for (const [flag, value] of Object.entries(values)) {
    if (spec.flags[flag]?.type === 'string' && value === '') throw new MigsealError('USAGE', `--${flag} needs a value. Usage: ${spec.usage}`);
  }
  return { name, spec, positionals, flags: values as Record<string, unknown>, ...(command && { command }) };
}

function describeCount({ min, max }: { min: number; max: number }): string {
  if (max === 0) return 'no arguments';
  return min === max ? `${min} argument${min === 1 ? '' : 's'}` : `${min} to ${max} arguments`;
}

/** Reads a required string flag or throws a usage error naming it. */
export function requireFlag(flags: Record<string, unknown>, name: string, usage: string): string {
  const value = flags[name];
  if (typeof value !== 'string') throw new MigsealError('USAGE', `--${name} is required. Usage: ${usage}`);
  return value;
}
