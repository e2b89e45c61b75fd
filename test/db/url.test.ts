import { describe, expect, it } from 'vitest';
import { parseDatabaseUrl } from '../../src/db/url.js';
import { refusal } from '../helpers/refusal.js';

const refused = (url: string) => refusal(() => parseDatabaseUrl(url, '/srv'));

describe('database URLs', () => {
  it.each([
    ['sqlite:var/shop.db', '/srv/var/shop.db'],
    ['sqlite:/abs/shop.db', '/abs/shop.db'],
    ['sqlite:///abs/shop.db', '/abs/shop.db'],
  ])('%s is a SQLite file at %s', (url, path) => {
    expect(parseDatabaseUrl(url, '/srv')).toEqual({ dialect: 'sqlite', path, display: `sqlite:${path}` });
  });

  it('keeps a postgres URL without a password as it is', () => {
    expect(parseDatabaseUrl('postgres://deploy@127.0.0.1:5432/shop', '/srv')).toMatchObject({ dialect: 'postgres', display: 'postgres://deploy@127.0.0.1:5432/shop' });
    expect(parseDatabaseUrl('postgresql://deploy@/shop?host=/run/postgresql', '/srv').dialect).toBe('postgres');
  });

  it.each(['postgres://deploy:s3cret@db/shop', 'postgres://deploy:s3/cret@db/shop', 'postgresql://deploy:@db/shop', 'postgres://deploy@db/shop?password=s3cret', 'postgres://deploy:s3cret@/shop?host=/tmp'])(
    'refuses a password in %s and says where one may come from, without repeating it',
    (url) => {
      const error = refused(url);
      expect(error.code).toBe('CREDENTIALS_ON_COMMAND_LINE');
      expect(error.exitCode).toBe(1);
      expect(error.message).toContain('PGPASSWORD, MIGSEAL_DATABASE_PASSWORD or MIGSEAL_DATABASE_PASSWORD_FILE');
      expect(error.message).not.toContain('s3cret');
    },
  );

  // A password the client would find once it decodes the URL, wherever it is hidden.
  it.each([
    ['postgres://u@h/db?pass%77ord=s3cret', /query parameter whose name holds "password" once percent-decoded/],
    ['postgres://u@h/db?%70assword=s3cret', /"password" once percent-decoded/],
    ['postgres://u@h/db?%2570assword=s3cret', /"password" once percent-decoded/],
    ['postgres://u@h/db?PASSWORD=s3cret', /"password"/],
    ['postgres://u@h/db?sslmode=require&sslpassword=s3cret', /"password"/],
    ['postgres://u@h/db?ssl%5Fpass%77ord=s3cret', /"password" once percent-decoded/],
    ['postgres://u@h/db?sslmode=require;password=s3cret', /"password"/],
    ['postgres://u@h/db?x=1&pass+word=s3cret', /"password" once percent-decoded/],
    ['postgres://u@h/db?password', /"password"/],
    ['postgres://u@h/db#password=s3cret', /"password"/],
    ['postgres://u%3As3cret@h/db', /behind a percent-encoded colon/],
    ['postgres://u%253As3cret@h/db', /behind a percent-encoded colon/],
    ['postgres://u@h/db?dbname=host%3Dh%20password%3Ds3cret', /inside the value of a query parameter/],
    ['postgres://u@h/db?dbname=postgres%3A%2F%2Fu%3As3cret%40h%2Fdb', /inside the value of a query parameter/],
    ['postgres://u@h/db?password%3Ds3cret', /"password" once percent-decoded/],
  ])('finds the password in %s after decoding it, and does not repeat it', (url, where) => {
    const error = refused(url);
    expect(error.code).toBe('CREDENTIALS_ON_COMMAND_LINE');
    expect(error.message).toMatch(where);
    expect(error.message).not.toContain('s3cret');
  });

  it.each([
    'postgres://deploy@db/shop?sslmode=verify-full&sslrootcert=/etc/secrets/ca.pem&sslkey=/etc/ssl/deploy.key&sslcert=/etc/ssl/deploy.crt',
    'postgres://deploy@db/shop?passfile=/home/deploy/.pgpass&application_name=token-service',
    'postgres://deploy@%2Frun%2Fpostgresql/shop?options=-c%20statement_timeout%3D5s',
    'postgres://deploy@[::1]:5432/shop',
  ])('accepts %s: paths to secrets and ordinary parameters are not secrets', (url) => {
    expect(parseDatabaseUrl(url, '/srv').dialect).toBe('postgres');
  });

  it.each(['mysql://x@db/shop', 'shop.db', 'sqlite:'])('refuses %s as a usage error', (url) => {
    expect(refused(url).code).toBe('USAGE');
  });
});

describe('?schema= names a tenant schema', () => {
  it('is taken out of the URL the client reads, and kept in the one shown', () => {
    const url = parseDatabaseUrl('postgres://deploy@db/app?sslmode=require&schema=tenant_0042', '/');
    expect(url).toEqual({ dialect: 'postgres', connectionString: 'postgres://deploy@db/app?sslmode=require', display: 'postgres://deploy@db/app?sslmode=require&schema=tenant_0042', schema: 'tenant_0042' });
    expect(parseDatabaseUrl('postgres://deploy@db/app?schema=T%20one', '/')).toMatchObject({ connectionString: 'postgres://deploy@db/app', schema: 'T one' });
    expect(parseDatabaseUrl('postgres://deploy@db/app', '/')).not.toHaveProperty('schema');
  });

  it('refuses a reserved, empty, repeated or overlong schema', () => {
    for (const bad of ['?schema=', '?schema=migseal', '?schema=pg_catalog', '?schema=information_schema', '?schema=a&schema=b', `?schema=${'x'.repeat(64)}`, '?schema=%ZZ']) {
      expect(() => parseDatabaseUrl(`postgres://deploy@db/app${bad}`, '/'), bad).toThrow(/schema/);
    }
  });
});
