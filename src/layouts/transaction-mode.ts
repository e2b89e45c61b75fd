/**
 * Statements PostgreSQL refuses inside a transaction block. A migration holding one
 * cannot be wrapped by the runner; layouts that send a file as one query (golang-migrate,
 * plain) mark such a migration non-transactional.
 */
const OUTSIDE_TRANSACTION = [
  /\bcreate\s+(unique\s+)?index\s+concurrently\b/i,
  /\bdrop\s+index\s+concurrently\b/i,
  /\breindex\b[^;]*\bconcurrently\b/i,
  /\bvacuum\b/i,
  /\balter\s+system\b/i,
  /\b(create|drop)\s+database\b/i,
  /\b(create|drop)\s+tablespace\b/i,
];

export function needsNoTransaction(sql: string): boolean {
  const code = stripComments(sql);
  return OUTSIDE_TRANSACTION.some((re) => re.test(code));
}

function stripComments(sql: string): string {
  return sql.replace(/--[^\n]*/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ');
}
