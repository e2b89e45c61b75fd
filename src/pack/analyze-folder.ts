/**
 * The analysis as pack runs it, over a folder read by its layout: the code that joins the
 * layouts and the analysis, so neither has to import the other.
 */
import { MigsealError } from '../errors.js';
import type { Dialect } from '../format/manifest.js';
import { readFolder } from '../layouts/folder.js';
import { chooseLayout } from '../layouts/index.js';
import type { FolderListing, LayoutResult } from '../layouts/layout.js';
import { analyzeMigrations, type Finding, type LintDialect } from '../lint/index.js';
import { guessDialect } from '../lint/parse.js';

export interface FolderAnalysis {
  layout: string;
  dialect: LintDialect;
  migrations: number;
  findings: Finding[];
}

/** Analyses a migrations folder as pack would read it (same layout, same transaction modes), for `migseal lint`. */
export function analyzeFolder(dir: string, options: { layout?: string; dialect?: string } = {}): FolderAnalysis {
  if (options.dialect !== undefined && options.dialect !== 'postgres' && options.dialect !== 'sqlite') {
    throw new MigsealError('USAGE', `lint reads postgres and sqlite migrations, not "${options.dialect}".`);
  }
  const listing = readFolder(dir);
  const layout = chooseLayout(options.layout ?? 'auto', listing);
  const found = layout.read(listing);
  const dialect = lintDialectFor((options.dialect as Dialect | undefined) ?? found.dialect ?? 'any', listing, found);
  if (!dialect) throw new MigsealError('USAGE', `lint reads postgres and sqlite migrations; this folder declares ${found.dialect}.`);
  return { layout: layout.name, dialect, migrations: found.migrations.length, findings: analyzeMigrations({ migrations: found.migrations, read: (p) => listing.read(p), dialect }) };
}

/** The parser to use for a bundle's dialect; "any" is decided by which parser reads the folder. Undefined for dialects not analysed. */
export function lintDialectFor(dialect: Dialect, listing: FolderListing, found: LayoutResult): LintDialect | undefined {
  if (dialect === 'postgres' || dialect === 'sqlite') return dialect;
  if (dialect !== 'any') return undefined;
  return guessDialect(found.migrations.flatMap((m) => (m.runner !== 'native' && m.up !== undefined ? [listing.read(m.up).toString('utf8')] : [])));
}

/**
 * Every dialect a bundle may run on, each analysed on its own: the same text means other
 * things to PostgreSQL and SQLite (nested comments, quoting, escapes), so a bundle marked
 * "any" is read by both parsers and each host judges the findings of its own.
 */
export function analysedDialects(dialect: Dialect): LintDialect[] {
  if (dialect === 'postgres' || dialect === 'sqlite') return [dialect];
  return dialect === 'any' ? ['postgres', 'sqlite'] : [];
}
