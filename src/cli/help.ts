import type { CommandSpec } from './table.js';

export const VERSION = '0.1.0';

export function helpText(commands: Record<string, CommandSpec>, name?: string): string {
  const spec = name !== undefined && Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (spec) {
    const flags = Object.entries(spec.flags).map(([flag, f]) => `  --${flag}${f.value ? ` ${f.value}` : ''}`.padEnd(28) + f.description);
    return `${spec.usage}\n\n${spec.summary}\n\nFlags:\n${flags.join('\n')}\n`;
  }
  const width = Math.max(...Object.keys(commands).map((c) => c.length)) + 2;
  const lines = Object.entries(commands).map(([n, c]) => `  ${n.padEnd(width)}${c.summary}`);
  return `migseal ${VERSION}: signed, verified database migrations\n\nUsage: migseal COMMAND [ARGS] [FLAGS]\n\nCommands:\n${lines.join('\n')}\n\nRun "migseal help COMMAND" for a command's flags. Exit codes: 0 ok, 1 usage or I/O error, 2 refused, 3 failed while running (the database may have changed), 4 database unavailable.\n`;
}
