/** The shapes shared by the parsers, the checks and the reports. */
import type { ManifestFinding } from '../format/manifest.js';

export type LintDialect = 'postgres' | 'sqlite';

/** One statement of a file, as the dialect's parser read it (or failed to). */
export interface Statement {
  /** Character offsets in the file: from the first token to the end of the statement. */
  start: number;
  end: number;
  /** Where the gap before this statement (comments, whitespace) begins. */
  gapStart: number;
  line: number;
  text: string;
  /** The parser's tree for this statement; undefined when it could not be read. */
  node?: unknown;
  error?: string;
}

/** A rule hit inside one file, before file names and suppressions are attached. */
export interface Hit {
  rule: string;
  statement: Statement;
  /** Extra detail appended to the rule's message (e.g. the table name). */
  detail?: string;
}

export type Finding = ManifestFinding;
