/**
 * Generated PostgreSQL migration scripts around the statements the common-statement reader
 * knows (src/lint/pg/common-ddl.ts), written every way it may meet them, and near misses: names
 * that are keywords of each category, constants it takes and ones it leaves, clauses it does
 * not know. Seeded, so a failure names a case that comes back. Used by the reader's
 * differential test and as the seeds of its fuzz target.
 */
import { NOT_NAMES, UNRESERVED } from '../../src/lint/pg/keywords.js';
import { mutateScripts, random } from './script-mutations.js';

export function pgScripts(count: number, seed: number): string[] {
  const r = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const keywords = [...UNRESERVED, ...NOT_NAMES];
  const name = (): string => (r() < 0.8 ? pick(['id', 'name', 'items_1', 'users', 'x', '_t', 'price_cents', 'created_at', 'Tbl9', 'a1b2', 'key', 'data', 'text']) : pick(keywords));
  const qname = (): string => (r() < 0.15 ? `${name()}.${name()}` : name());
  const kw = (k: string): string => (r() < 0.5 ? k : r() < 0.5 ? k.toLowerCase() : k[0] + k.slice(1).toLowerCase());
  const gap = (): string => pick([' ', ' ', ' ', '\n  ', '\t', ' /* c */ ', ' -- note\n', '\r\n', '  ', '\r', ' -- note\r\n', '/**/']);
  const typeName = (): string => {
    const t = pick(['INTEGER', 'INT', 'BIGINT', 'SMALLINT', 'TEXT', 'VARCHAR', 'VARCHAR(255)', 'VARCHAR(0)', 'NUMERIC', 'NUMERIC(12, 2)', 'DECIMAL(10)', 'DEC(3,1)', 'NUMERIC(1,2,3)', 'DOUBLE PRECISION', 'DOUBLE', 'REAL', 'FLOAT', 'FLOAT(24)', 'BOOLEAN', 'BOOL', 'TIMESTAMP', 'TIMESTAMP(3)', 'TIMESTAMP WITH TIME ZONE', 'TIMESTAMP(6) WITHOUT TIME ZONE', 'TIMESTAMPTZ', 'UUID', 'JSONB', 'JSON', 'DATE', 'TIME', 'CHAR(3)', 'SERIAL', 'BIGSERIAL', 'INT8', 'BYTEA', 'INTERVAL', 'INT[]', 'pg_catalog.int4']);
    return r() < 0.1 ? name() : kw(t);
  };
  const literal = (): string => pick(['0', '42', '007', '-1', '-0', '- 1', '2147483647', '2147483648', '-2147483648', '1.5', '1e3', "'x'", "'it''s'", "''", "'a\\b'", 'NULL', 'null', 'TRUE', 'false', 'now()', 'CURRENT_TIMESTAMP', "E'x'", '+1', '1_000', '0x1f', "'a'::text"]);
  const constraint = (): string =>
    pick([kw('PRIMARY KEY'), kw('NOT NULL'), kw('NULL'), kw('UNIQUE'), `${kw('DEFAULT')} ${literal()}`, `${kw('DEFAULT')} ${literal()} ${kw('NOT NULL')}`, kw('PRIMARY KEY ASC'), kw('CHECK (x > 0)'), kw('NOT DEFERRABLE'), `${kw('REFERENCES')} ${name()}`, kw('UNIQUE NULLS NOT DISTINCT'), kw('GENERATED ALWAYS AS IDENTITY')]);
  const column = (): string => [name(), ...(r() < 0.95 ? [typeName()] : []), ...Array.from({ length: Math.floor(r() * 3) }, constraint)].join(gap());
  const tableConstraint = (): string => pick([`${kw('PRIMARY KEY')} (${name()}, ${name()})`, `${kw('UNIQUE')} (${name()})`, `${kw('PRIMARY KEY')} (${name()})`, `${kw('FOREIGN KEY')} (${name()}) ${kw('REFERENCES')} ${name()}`]);
  const statement = (): string =>
    pick([
      () => `${kw('CREATE TABLE')}${r() < 0.2 ? ` ${kw('IF NOT EXISTS')}` : ''} ${qname()} (${gap()}${Array.from({ length: 1 + Math.floor(r() * 4) }, column).join(`,${gap()}`)}${r() < 0.3 ? `, ${tableConstraint()}` : ''}${gap()})`,
      () => `${kw('CREATE')} ${r() < 0.3 ? `${kw('UNIQUE')} ` : ''}${kw('INDEX')}${r() < 0.3 ? ` ${kw('CONCURRENTLY')}` : ''}${r() < 0.2 ? ` ${kw('IF NOT EXISTS')}` : ''} ${name()} ${kw('ON')} ${qname()} (${Array.from({ length: 1 + Math.floor(r() * 3) }, () => `${name()}${pick(['', ` ${kw('ASC')}`, ` ${kw('DESC')}`, ` ${kw('NULLS FIRST')}`])}`).join(', ')})`,
      () => `${kw('DROP')} ${pick([kw('TABLE'), kw('INDEX'), kw('INDEX CONCURRENTLY')])}${r() < 0.3 ? ` ${kw('IF EXISTS')}` : ''} ${Array.from({ length: 1 + Math.floor(r() * 2) }, qname).join(', ')}${pick(['', '', ` ${kw('CASCADE')}`, ` ${kw('RESTRICT')}`])}`,
    ])();
  return Array.from({ length: count }, () => {
    const lead = pick(['', '', '-- migrate up\n', '/* header */\n', '\n\n', ';']);
    const body = Array.from({ length: 1 + Math.floor(r() * 3) }, statement).join(pick([';\n', '; ', ';\n\n', ';;\n', ' ;']));
    return lead + body + pick(['', ';', ';\n', '; -- done\n', ';\n/* end */', ' ']);
  });
}

/** Token-level and character-level damage to a script, with PostgreSQL's punctuation and words. */
export function pgMutations(texts: readonly string[], seed: number): string[] {
  return mutateScripts(texts, seed, /(\s+|[(),;.])/, ['(', ')', ',', ';', "'", '"', '.', '--', '/*', '*/', '-', '$', 'é', '\f', '1', '\0', 'NOT', 'NULL', 'DEFAULT', 'KEY']);
}
