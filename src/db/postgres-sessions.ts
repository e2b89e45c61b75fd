/**
 * PostgreSQL sessions kept open between the targets of one fleet rollout that reach the same
 * server, database and role (tenant schemas of one database): a new session costs the server
 * a process and cold catalog caches, often more than the tenant's own work. A session goes
 * back only after a target's run ended cleanly, and only once DISCARD ALL succeeded on it:
 * the reset a connection pooler makes between clients (SET SESSION AUTHORIZATION DEFAULT,
 * RESET ALL, DEALLOCATE ALL, CLOSE ALL, UNLISTEN *, pg_advisory_unlock_all(), DISCARD PLANS,
 * TEMP and SEQUENCES), which refuses to run inside a transaction, so a session left in one
 * is closed instead. The next tenant then sets its own search path and takes its own lock, as
 * on a new session. Sessions of different URLs, roles or passwords never mix. Not reset: what
 * an extension keeps in its own memory for the session (PL/Python's GD, dblink's named
 * connections); tenants that share a role reach each other's schemas anyway.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';

interface Idle {
  client: pg.Client;
  /** Drops the session if it fails while it waits; removed when the session is taken. */
  onError: () => void;
}

export class PostgresSessions {
  #idle = new Map<string, Idle[]>();
  #closed = false;

  /** What a session is for: the same connection string, password and read-only mode. */
  static key(connectionString: string, password: string | undefined, readOnly: boolean): string {
    return createHash('sha256').update(JSON.stringify([connectionString, password ?? null, readOnly])).digest('hex');
  }

  /** An idle session for `key`, if one is kept. */
  take(key: string): pg.Client | undefined {
    const idle = this.#idle.get(key)?.pop();
    if (idle === undefined) return undefined;
    idle.client.off('error', idle.onError);
    return idle.client;
  }

  /** Resets a session whose run ended cleanly and keeps it for the next target; closes it if the reset fails. */
  async give(key: string, client: pg.Client): Promise<void> {
    const list = this.#idle.get(key) ?? [];
    const idle: Idle = {
      client,
      onError: () => {
        const at = list.indexOf(idle);
        if (at >= 0) list.splice(at, 1);
        client.end().catch(() => undefined);
      },
    };
    // Listened to from now on, so an error the session raises while it waits never goes unheard.
    client.on('error', idle.onError);
    try {
      if (this.#closed) throw new Error('closed');
      await client.query('DISCARD ALL');
    } catch {
      client.off('error', idle.onError);
      await client.end().catch(() => undefined);
      return;
    }
    list.push(idle);
    this.#idle.set(key, list);
  }

  /** Closes every idle session; sessions given back later are closed too. */
  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#idle.values()].flat();
    this.#idle.clear();
    await Promise.all(all.map((i) => i.client.end().catch(() => undefined)));
  }
}
