/**
 * dbmate keeps both directions in one file: a `-- migrate:up` block, then a `-- migrate:down`
 * block, each directive line optionally followed by options such as `transaction:false`.
 * These are dbmate's own rules: both blocks are required, up comes first, and only blank or
 * comment lines may precede it. Each block starts at its directive line, as in dbmate.
 */
export interface DbmateSection {
  /** Byte offsets into the file, [start, end). */
  start: number;
  end: number;
  options: Map<string, string>;
}

export interface DbmateSections {
  up: DbmateSection;
  down: DbmateSection;
}

const UP = /^--[ \t\n\f\r]*migrate:up([ \t\n\f\r]*$|[ \t\n\f\r]+[^ \t\n\f\r]+)/m;
const DOWN = /^--[ \t\n\f\r]*migrate:down([ \t\n\f\r]*$|[ \t\n\f\r]+[^ \t\n\f\r]+)/m;

/** Returns the sections, or a sentence saying which of dbmate's rules the file breaks. */
export function dbmateSections(bytes: Buffer): DbmateSections | string {
  // latin1 keeps one character per byte, so offsets found here are byte offsets.
  const text = bytes.toString('latin1');
  const up = UP.exec(text);
  const down = DOWN.exec(text);
  if (!up) return "each migration needs an up block starting with '-- migrate:up'";
  if (!down) return "each migration needs a down block starting with '-- migrate:down'";
  if (up.index > down.index) return "'-- migrate:up' must come before '-- migrate:down'";
  if (new RegExp(UP.source, 'gm').exec(text.slice(down.index)) !== null) {
    return "a second '-- migrate:up' section; migseal runs one up and one down block per file (dbmate records the version once per section and fails on the second)";
  }
  const before = text.slice(0, up.index).split('\n');
  if (before.some((line) => !/^[ \t\n\f\r]*$/.test(line) && !/^[ \t\n\f\r]*--/.test(line))) {
    return "statements may not precede the '-- migrate:up' block";
  }
  return {
    up: { start: up.index, end: down.index, options: options(text.slice(up.index, down.index)) },
    down: { start: down.index, end: text.length, options: options(text.slice(down.index)) },
  };
}

/** True unless the block's directive says `transaction:false`. */
export function inTransaction(section: DbmateSection): boolean {
  return section.options.get('transaction') !== 'false';
}

function options(block: string): Map<string, string> {
  const line = (block.split('\n', 1)[0] ?? '').replace(/^--[ \t\n\f\r]*migrate:(up|down)/, '').trim();
  const result = new Map<string, string>();
  if (line === '') return result;
  for (const pair of line.split(/[ \t\n\f\r]+/)) {
    const parts = pair.split(':');
    if (parts.length === 2) result.set(parts[0]!, parts[1]!);
  }
  return result;
}
