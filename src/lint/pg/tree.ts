/** Reading PostgreSQL parse-tree nodes: their kind, relation names, and what a transaction allows. */
export type Node = Record<string, any>;

const OPENS_OR_ENDS = new Set(['TRANS_STMT_BEGIN', 'TRANS_STMT_START', 'TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK', 'TRANS_STMT_PREPARE', 'TRANS_STMT_COMMIT_PREPARED', 'TRANS_STMT_ROLLBACK_PREPARED']);

export function unwrap(node: unknown): [string, Node] {
  // The first key, without an array of them all.
  for (const key in node as object) return [key, ((node as Node)[key] ?? {}) as Node];
  return ['', {}];
}

export function relationName(rel: Node | undefined): string {
  if (!rel) return '';
  const schema = rel.schemaname && rel.schemaname !== 'public' ? `${rel.schemaname}.` : '';
  return `${schema}${rel.relname ?? ''}`;
}

/** Statements PostgreSQL refuses inside a transaction block. */
export function cannotRunInTransaction(node: unknown): boolean {
  const [kind, n] = unwrap(node);
  switch (kind) {
    case 'IndexStmt':
      return n.concurrent === true;
    case 'DropStmt':
      return n.concurrent === true;
    case 'ReindexStmt':
      return (n.params ?? []).some((p: Node) => p.DefElem?.defname === 'concurrently');
    case 'VacuumStmt':
      return n.is_vacuumcmd === true;
    case 'AlterTableStmt':
      return (n.cmds ?? []).some((c: Node) => c.AlterTableCmd?.subtype === 'AT_DetachPartition' && c.AlterTableCmd?.def?.PartitionCmd?.concurrent === true);
    case 'AlterSystemStmt':
    case 'CreatedbStmt':
    case 'DropdbStmt':
    case 'CreateTableSpaceStmt':
    case 'DropTableSpaceStmt':
      return true;
    default:
      return false;
  }
}

export function isTransactionControl(node: unknown): boolean {
  const [kind, n] = unwrap(node);
  return kind === 'TransactionStmt' && OPENS_OR_ENDS.has(n.kind);
}
