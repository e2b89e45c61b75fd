/** Runs postgrator over a folder. Usage: node bench/apply-postgrator.mjs postgres URL DIR | sqlite PATH DIR */
import { join } from 'node:path';
import Postgrator from 'postgrator';

const [kind, target, dir] = process.argv.slice(2);
if (kind === 'postgres') {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: target });
  await client.connect();
  const postgrator = new Postgrator({ migrationPattern: join(dir, '*'), driver: 'pg', database: new URL(target).pathname.slice(1), execQuery: (query) => client.query(query) });
  await postgrator.migrate();
  await client.end();
} else {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(target);
  const execQuery = async (query) => {
    const statement = /^\s*(select|pragma|with)\b/i.test(query) ? db.prepare(query) : undefined;
    if (statement?.reader) return { rows: statement.all() };
    db.exec(query);
    return { rows: [] };
  };
  const postgrator = new Postgrator({ migrationPattern: join(dir, '*'), driver: 'sqlite3', execQuery });
  await postgrator.migrate();
  db.close();
}
