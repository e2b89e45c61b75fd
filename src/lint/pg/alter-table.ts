/** The ALTER TABLE rules: dropped columns, NOT NULL without default, type changes, validating constraints. */
import type { Hit } from '../types.js';
import { classifyTypeChange, columnTypeOf, type SchemaModel } from './column-types.js';
import { relationName, type Node } from './tree.js';
import { functionCalls } from './walk.js';

/** Defaults PostgreSQL must compute per row, so adding the column rewrites the table. */
const VOLATILE = new Set(['random', 'gen_random_uuid', 'uuid_generate_v1', 'uuid_generate_v4', 'uuidv4', 'uuidv7', 'clock_timestamp', 'timeofday', 'nextval', 'txid_current']);

/** Applies the rules to each subcommand; returns the table when it existed before this file (it is locked). */
export function alterTable(n: Node, hit: (rule: Hit['rule'], detail?: string) => void, existing: (t: string) => boolean, schema: SchemaModel): string {
  const table = relationName(n.relation);
  const old = existing(table);
  if (n.objtype && n.objtype !== 'OBJECT_TABLE') return '';
  for (const c of n.cmds ?? []) {
    const cmd = c.AlterTableCmd as Node | undefined;
    if (!cmd) continue;
    const column = cmd.name ?? cmd.def?.ColumnDef?.colname;
    switch (cmd.subtype) {
      case 'AT_DropColumn':
        hit('destructive/drop-column', `${table}.${column}`);
        schema.dropColumn(table, column);
        break;
      case 'AT_AddColumn': {
        const def = cmd.def?.ColumnDef as Node;
        const constraints = (def?.constraints ?? []).map((k: Node) => k.Constraint?.contype);
        const hasDefault = constraints.some((t: string) => t === 'CONSTR_DEFAULT' || t === 'CONSTR_IDENTITY' || t === 'CONSTR_GENERATED') || def?.identity || def?.generated;
        if (old && (constraints.includes('CONSTR_NOTNULL') || constraints.includes('CONSTR_PRIMARY')) && !hasDefault) hit('locking/add-column-not-null-without-default', `${table}.${column}`);
        const defaultExpr = (def?.constraints ?? []).find((k: Node) => k.Constraint?.contype === 'CONSTR_DEFAULT')?.Constraint?.raw_expr;
        const volatile = functionCalls(defaultExpr ?? {}).find((f) => VOLATILE.has(f));
        if (old && volatile) hit('locking/add-column-volatile-default', `${table}.${column} DEFAULT ${volatile}()`);
        schema.setColumn(table, column, columnTypeOf(def?.typeName));
        break;
      }
      case 'AT_SetNotNull':
        if (old) hit('locking/set-not-null', `${table}.${column}`);
        break;
      case 'AT_AlterColumnType': {
        const to = columnTypeOf(cmd.def?.ColumnDef?.typeName);
        if (!to) break;
        const change = classifyTypeChange(schema.column(table, column), to);
        if (change === 'narrowing') hit('destructive/narrowing-type-change', `${table}.${column}`);
        else if (change === 'rewrite' && old) hit('locking/type-change-rewrites', `${table}.${column}`);
        schema.setColumn(table, column, to);
        break;
      }
      case 'AT_AddConstraint': {
        const k = cmd.def?.Constraint as Node | undefined;
        if (!k || !old) break;
        if ((k.contype === 'CONSTR_FOREIGN' || k.contype === 'CONSTR_CHECK') && k.skip_validation !== true) hit('locking/add-constraint-without-not-valid', `${table}${k.conname ? ` ${k.conname}` : ''}`);
        if ((k.contype === 'CONSTR_UNIQUE' || k.contype === 'CONSTR_PRIMARY' || k.contype === 'CONSTR_EXCLUSION') && !k.indexname) hit('locking/add-unique-without-index', `${table}${k.conname ? ` ${k.conname}` : ''}`);
        break;
      }
    }
  }
  return old ? table : '';
}
