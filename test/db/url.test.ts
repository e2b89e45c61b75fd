import { describe, expect, it } from 'vitest';
import { parseDatabaseUrl } from '../../src/db/url.js';
import { MigsealError } from '../../src/errors.js';

const refused = (url: string): MigsealError => {
  try {
    parseDatabaseUrl(url, '/srv');
  } catch (error) {
    return error as MigsealError;
  }
  throw new Error(`${url} was accepted`);
};

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

  it.each(['mysql://x@db/shop', 'shop.db', 'sqlite:'])('refuses %s as a usage error', (url) => {
    expect(refused(url).code).toBe('USAGE');
  });
});
