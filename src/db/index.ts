/** Opens the driver a database URL names. */
import type { ConnectOptions, Driver } from './driver.js';
import type { DatabaseUrl } from './url.js';

export async function openDatabase(url: DatabaseUrl, options: ConnectOptions = {}): Promise<Driver> {
  if (url.dialect === 'sqlite') {
    const { SqliteDriver } = await import('./sqlite.js');
    return SqliteDriver.open(url.path, options);
  }
  const { PostgresDriver } = await import('./postgres.js');
  return PostgresDriver.open(url.connectionString, url.display, options, url.schema);
}

export type { Driver, DriverDialect, ConnectOptions, Row } from './driver.js';
export { PostgresSessions } from './postgres-sessions.js';
export { parseDatabaseUrl, PASSWORD_SOURCES, type DatabaseUrl } from './url.js';
