/**
 * A PostgreSQL connection as libpq's environment (PGHOST, PGPORT, PGUSER, PGDATABASE,
 * PGPASSWORD, PGSSLMODE), for the server's own programs (pg_dump, pg_restore): what they need
 * to connect reaches them there, never in their arguments, which the process list shows.
 */
import { parse as parseConnectionString } from 'pg-connection-string';

export function libpqEnvironment(connectionString: string, password: string | undefined): Record<string, string> {
  const c = parseConnectionString(connectionString);
  const out: Record<string, string> = {};
  if (c.host) out.PGHOST = c.host;
  if (c.port) out.PGPORT = String(c.port);
  if (c.user) out.PGUSER = c.user;
  if (c.database) out.PGDATABASE = c.database;
  if (password !== undefined) out.PGPASSWORD = password;
  const ssl = (c as { sslmode?: string }).sslmode;
  if (typeof ssl === 'string') out.PGSSLMODE = ssl;
  return out;
}
