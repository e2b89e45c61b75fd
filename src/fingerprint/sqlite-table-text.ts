/**
 * Whether a change to SQLite's CREATE TABLE text says no more than the column changes already
 * reported. SQLite keeps a table's statement as written and ALTER TABLE edits it, so adding,
 * dropping or renaming a column changes the table's text too; the table itself changed only
 * when something else in its text did: its name or options before the column list, a table
 * constraint, the order of the columns, WITHOUT ROWID or STRICT after it, a column's text
 * where the column's own description (type, NOT NULL, default, key) did not change, or a
 * changed column's text that says more than its description does (a COLLATE, a CHECK, a
 * REFERENCES, a generated column's expression). Text this cannot split for sure (a comment,
 * an unbalanced quote) is a change.
 */

const CONSTRAINT_START = /^(CONSTRAINT|PRIMARY|UNIQUE|CHECK|FOREIGN)\b/i;

interface TableText {
  /** Everything outside the column list's parentheses: `CREATE TABLE users` and `WITHOUT ROWID`. */
  outside: string;
  /** The table constraints, in order. */
  constraints: string[];
  /** Each column's definition by its name (lower case), in order. */
  columns: Array<[name: string, text: string]>;
}

/**
 * True when `before` and `after` (a table's collapsed CREATE TABLE texts) differ only in the
 * definitions of columns named in `reported` (lower-case column names of this table that were
 * added, removed or changed).
 */
export function explainedByColumns(before: string, after: string, reported: ReadonlySet<string>): boolean {
  const was = splitTable(before);
  const now = splitTable(after);
  if (!was || !now || was.outside !== now.outside) return false;
  if (was.constraints.length !== now.constraints.length || was.constraints.some((c, i) => c !== now.constraints[i])) return false;
  const old = new Map(was.columns);
  const cur = new Map(now.columns);
  if (old.size !== was.columns.length || cur.size !== now.columns.length) return false;
  for (const name of new Set([...old.keys(), ...cur.keys()])) {
    const [a, b] = [old.get(name), cur.get(name)];
    if (a === b) continue;
    if (!reported.has(name) || [a, b].some((text) => text !== undefined && !describedByColumn(text))) return false;
  }
  // The columns both have keep their order.
  const kept = (columns: TableText['columns'], other: Map<string, string>) => columns.map(([n]) => n).filter((n) => other.has(n)).join('\u0000');
  return kept(was.columns, cur) === kept(now.columns, old);
}

/** The column name as SQLite compares it: unquoted, case folded (ASCII). */
export const columnKey = (name: string): string => name.toLowerCase();

function splitTable(sql: string): TableText | undefined {
  if (!/^CREATE\s+TABLE\b/i.test(sql)) return undefined;
  const items: string[] = [];
  let open = -1;
  let close = -1;
  let depth = 0;
  let start = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === '`' || c === '[') {
      const end = sql.indexOf(c === '[' ? ']' : c, i + 1);
      if (end < 0) return undefined;
      i = end; // A doubled quote inside is two quoted runs side by side: the same split.
      continue;
    }
    if ((c === '-' && sql[i + 1] === '-') || (c === '/' && sql[i + 1] === '*')) return undefined;
    if (close >= 0) continue;
    if (c === '(') {
      if (depth === 0 && open < 0) {
        open = i;
        start = i + 1;
      }
      depth++;
    } else if (c === ')') {
      depth--;
      if (depth === 0 && open >= 0) {
        items.push(sql.slice(start, i).trim());
        close = i;
      }
    } else if (c === ',' && depth === 1) {
      items.push(sql.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (open < 0 || close < 0) return undefined;
  const text: TableText = { outside: `${sql.slice(0, open).trim()}\u0000${sql.slice(close + 1).trim()}`, constraints: [], columns: [] };
  for (const item of items) {
    if (CONSTRAINT_START.test(item)) text.constraints.push(item);
    else {
      const name = columnName(item);
      if (name === undefined) return undefined;
      text.columns.push([columnKey(name), item]);
    }
  }
  return text;
}

/**
 * Words of a column definition that the column's own description (type, NOT NULL, default,
 * primary key) does not carry: where one is written, the table's text says more than the column.
 */
const UNDESCRIBED = new Set(['COLLATE', 'CHECK', 'REFERENCES', 'GENERATED', 'AS', 'CONSTRAINT', 'UNIQUE', 'ON', 'AUTOINCREMENT', 'ASC', 'DESC']);

/** Whether a column definition holds only what its column's description says (quoted text and parenthesized groups skipped). */
function describedByColumn(item: string): boolean {
  const quoted = /'(?:[^']|'')*'|"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\]/;
  const definition = item.replace(new RegExp(`^(?:${quoted.source}|[^\\s(,]+)`), '');
  let flat = definition.replace(new RegExp(quoted.source, 'g'), ' ');
  for (let prev = ''; prev !== flat; ) {
    prev = flat;
    flat = flat.replace(/\([^()]*\)/g, ' ');
  }
  return !flat.split(/[^A-Za-z_]+/).some((w) => UNDESCRIBED.has(w.toUpperCase()));
}

/** The first token of a column definition, unquoted. */
function columnName(item: string): string | undefined {
  const q = item[0];
  if (q === '"' || q === '`' || q === "'" || q === '[') {
    const close = q === '[' ? ']' : q;
    let name = '';
    for (let i = 1; i < item.length; i++) {
      if (item[i] !== close) name += item[i];
      else if (close !== ']' && item[i + 1] === close) {
        name += close;
        i++;
      } else return name;
    }
    return undefined;
  }
  return /^[^\s(,]+/.exec(item)?.[0];
}
