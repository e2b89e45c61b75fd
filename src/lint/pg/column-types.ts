/**
 * Column types as the PostgreSQL parser writes them, and how a change from one to another
 * behaves: no rewrite (binary-coercible widening), a rewrite, or a narrowing that can fail
 * or cut data. The old type is known only when an earlier migration in the folder made it.
 */
export interface ColumnType {
  name: string;
  mods: number[];
  array: boolean;
}

export type TypeChange = 'safe' | 'rewrite' | 'narrowing';

export function columnTypeOf(typeName: unknown): ColumnType | undefined {
  const t = typeName as { names?: Array<{ String?: { sval?: string } }>; typmods?: unknown[]; arrayBounds?: unknown[] } | undefined;
  const names = t?.names?.map((n) => n.String?.sval ?? '') ?? [];
  const name = names[names.length - 1];
  if (!name) return undefined;
  const mods = (t?.typmods ?? []).map((m) => Number((m as { A_Const?: { ival?: { ival?: number } } }).A_Const?.ival?.ival ?? 0));
  return { name: ALIASES[name] ?? name, mods, array: (t?.arrayBounds?.length ?? 0) > 0 };
}

const ALIASES: Record<string, string> = { int: 'int4', integer: 'int4', bigint: 'int8', smallint: 'int2', decimal: 'numeric', 'character varying': 'varchar' };
const INTEGER_RANK: Record<string, number> = { int2: 1, int4: 2, int8: 3, numeric: 4 };
const FLOAT_RANK: Record<string, number> = { float4: 1, float8: 2 };
const LENGTH_TYPES = new Set(['varchar', 'bpchar', 'varbit', 'bit']);

export function classifyTypeChange(from: ColumnType | undefined, to: ColumnType): TypeChange {
  if (!from) return 'rewrite';
  if (from.array !== to.array) return 'rewrite';
  if (from.name === to.name && LENGTH_TYPES.has(to.name)) {
    const [a] = from.mods;
    const [b] = to.mods;
    if (b !== undefined && (a === undefined || b < a)) return 'narrowing';
    return to.name === 'varchar' || to.name === 'varbit' ? 'safe' : 'rewrite';
  }
  if ((from.name === 'varchar' || from.name === 'text') && to.name === 'text') return 'safe';
  if (from.name === 'text' && (to.name === 'varchar' || to.name === 'bpchar') && to.mods.length > 0) return 'narrowing';
  if (from.name === 'numeric' && to.name === 'numeric') {
    if (to.mods.length === 0) return 'safe';
    if (from.mods.length === 0) return 'narrowing';
    const [p1 = 0, s1 = 0] = from.mods;
    const [p2 = 0, s2 = 0] = to.mods;
    if (s2 < s1 || p2 - s2 < p1 - s1) return 'narrowing';
    return s2 === s1 ? 'safe' : 'rewrite';
  }
  const ia = INTEGER_RANK[from.name];
  const ib = INTEGER_RANK[to.name];
  if (ia !== undefined && ib !== undefined) return ib < ia ? 'narrowing' : from.name === to.name ? 'safe' : 'rewrite';
  const fa = FLOAT_RANK[from.name];
  const fb = FLOAT_RANK[to.name];
  if (fa !== undefined && fb !== undefined) return fb < fa ? 'narrowing' : fa === fb ? 'safe' : 'rewrite';
  if (from.name === to.name && from.mods.join() === to.mods.join()) return 'safe';
  return 'rewrite';
}

/** What the folder's migrations have made so far: table -> column -> type. */
export class SchemaModel {
  #tables = new Map<string, Map<string, ColumnType>>();

  setColumn(table: string, column: string, type: ColumnType | undefined): void {
    if (!type) return;
    let columns = this.#tables.get(table);
    if (!columns) this.#tables.set(table, (columns = new Map()));
    columns.set(column, type);
  }

  column(table: string, column: string): ColumnType | undefined {
    return this.#tables.get(table)?.get(column);
  }

  dropTable(table: string): void {
    this.#tables.delete(table);
  }

  dropColumn(table: string, column: string): void {
    this.#tables.get(table)?.delete(column);
  }
}
