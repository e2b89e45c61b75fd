/**
 * The migseal command line. The only place that writes the final result and sets the
 * process exit code; commands return data or throw a coded error.
 */
import { COMMANDS, type CommandContext } from './table.js';
import { findCommand, ownArguments, parseCommand } from './parse.js';
import { MigsealError, isMigsealError } from '../errors.js';
import { helpText, VERSION } from './help.js';
import { nearest } from './usage-errors.js';
import { errorDocument, successDocument } from './json-shape.js';
import { redactString as redact } from '../audit/redact.js';
import { printableJson, printableOutput as printable } from '../format/terminal-text.js';

export { COMMANDS } from './table.js';
export { commandReference, withReference } from './reference.js';

export async function main(argv: readonly string[]): Promise<number> {
  const wantsJson = ownArguments(argv).includes('--json');
  try {
    if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
      process.stdout.write(helpText(COMMANDS, argv[1]));
      return argv.length === 0 ? 1 : 0;
    }
    if (argv[0] === '--version' || argv[0] === '-v') {
      process.stdout.write(`${VERSION}\n`);
      return 0;
    }
    const found = findCommand(argv, COMMANDS);
    if (!found) throw unknownCommand(argv);
    if (ownArguments(found.rest).includes('--help') || ownArguments(found.rest).includes('-h')) {
      process.stdout.write(helpText(COMMANDS, found.name));
      return 0;
    }
    const parsed = parseCommand(found.name, COMMANDS[found.name]!, found.rest);
    // Standard output first: it is there for the result anyway, while taking process.stdin builds a
    // stream for it (a file stream and Node's readline and file watchers for /dev/null, a socket for
    // a pipe), which a command whose output is not a terminal never needs.
    const interactive = process.stdout.isTTY === true && process.stdin.isTTY === true;
    const context: CommandContext = {
      env: process.env,
      cwd: process.cwd(),
      progress: (line) => {
        if (!wantsJson && process.stderr.isTTY) process.stderr.write(`${printable(line)}\n`);
      },
      notice: (text) => {
        if (!wantsJson || interactive) process.stderr.write(`${printable(text)}\n`);
      },
      // The terminal prompt's code (readline) is loaded only by a command that asks.
      ...(interactive && { confirm: async (question: string) => (await import('./confirm.js')).askYesNo(question) }),
    };
    const { run } = await parsed.spec.load();
    const outcome = await run({ positionals: parsed.positionals, flags: parsed.flags, ...(parsed.command && { command: parsed.command }) }, context);
    // Text carries names and messages from bundles and databases: no control character reaches the terminal.
    const text = printable(outcome.text);
    process.stdout.write(wantsJson ? `${printableJson(JSON.stringify(successDocument(outcome.json, outcome.exitCode ?? 0), null, 2))}\n` : text.endsWith('\n') || text === '' ? text : `${text}\n`);
    return outcome.exitCode ?? 0;
  } catch (error) {
    const coded = isMigsealError(error) ? error : new MigsealError('INTERNAL', `Internal error (a bug in migseal; MIGSEAL_DEBUG=1 prints where): ${(error as Error)?.message ?? String(error)}`, { cause: error });
    const message = redact(coded.message);
    if (wantsJson) {
      process.stdout.write(`${printableJson(JSON.stringify(errorDocument(coded.code, message, coded.exitCode, coded.details), null, 2))}\n`);
    }
    const label = coded.exitCode === 2 ? 'refused' : coded.exitCode === 3 ? 'failed' : coded.exitCode === 4 ? 'unavailable' : 'error';
    process.stderr.write(`migseal: ${label}: ${printable(message)}\n`);
    if (!isMigsealError(error) && process.env.MIGSEAL_DEBUG) process.stderr.write(`${redact(String((error as Error)?.stack))}\n`);
    return coded.exitCode;
  }
}

/** `migseal keys` lists what `keys` does; a misspelt command gets the nearest one. */
function unknownCommand(argv: readonly string[]): MigsealError {
  const names = Object.keys(COMMANDS);
  const group = names.filter((n) => n.startsWith(`${argv[0]} `));
  if (group.length > 0) {
    const sub = argv[1];
    const near = sub && !sub.startsWith('-') ? nearest(sub, group.map((n) => n.slice(argv[0]!.length + 1))) : undefined;
    return new MigsealError(
      'USAGE',
      `${sub && !sub.startsWith('-') ? `migseal ${argv[0]} has no subcommand "${sub}"${near ? `; did you mean "migseal ${argv[0]} ${near}"?` : '.'}` : `migseal ${argv[0]} needs a subcommand.`} It has: ${group.map((n) => `migseal ${n}`).join(', ')}.`,
    );
  }
  const near = argv[0] && !argv[0].startsWith('-') ? nearest(argv[0], names.filter((n) => !n.includes(' ')).concat(names.map((n) => n.split(' ')[0]!))) : undefined;
  return new MigsealError('USAGE', `Unknown command "${argv[0] ?? ''}"${near ? `; did you mean "migseal ${near}"?` : '.'} Run "migseal help" for the list.`);
}
