/** parseManifest: strict bytes first (MANIFEST_MALFORMED), then every field (MANIFEST_INVALID). */
import { describe, expect, it } from 'vitest';
import { parseManifest, serializeManifest, validateManifest, type Manifest } from '../../src/format/manifest.js';
import { canonicalJson } from '../../src/format/strict-json.js';
import { refusal } from '../helpers/refusal.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

function valid(): Manifest {
  return {
    format: 'migseal.manifest/v1',
    project: 'shop',
    release: '42',
    dialect: 'sqlite',
    layout: 'golang-migrate',
    createdAt: '2026-01-01T00:00:00Z',
    source: { repository: 'https://example.com/shop.git', commit: 'abcdef1', dirty: false },
    builder: { id: 'local' },
    migrations: [{ version: '1', name: 'users', up: '1_users.up.sql', down: '1_users.down.sql', transactional: true }],
    files: [
      { path: '1_users.down.sql', sha256: B, size: 5 },
      { path: '1_users.up.sql', sha256: A, size: 10 },
    ],
    findings: [],
  };
}

const refused = (bytes: Buffer) => refusal(() => parseManifest(bytes));

const text = (m: unknown) => Buffer.from(canonicalJson(m));

describe('parseManifest', () => {
  it('accepts a valid manifest and round-trips its canonical bytes', () => {
    const bytes = serializeManifest(valid());
    expect(parseManifest(bytes)).toEqual(valid());
    expect(serializeManifest(parseManifest(bytes)).equals(bytes)).toBe(true);
  });

  const malformed: Array<[string, (s: string) => string | Buffer, RegExp]> = [
    ['duplicate key', (s) => s.replace('"release":"42"', '"release":"42","release":"43"'), /duplicate key "release"/],
    ['__proto__ key', (s) => s.replace('"builder":{', '"builder":{"__proto__":{"admin":true},'), /forbidden key "__proto__"/],
    ['non-integer size', (s) => s.replace('"size":10', '"size":10.5'), /only integers/],
    ['unsafe size', (s) => s.replace('"size":10', '"size":18014398509481984'), /outside the safe range/],
    ['byte-order mark', (s) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(s)]), /byte-order mark/],
    ['trailing data', (s) => `${s}{}`, /unexpected data after the document/],
  ];
  for (const [name, change, message] of malformed) {
    it(`MANIFEST_MALFORMED: ${name}`, () => {
      const changed = change(canonicalJson(valid()));
      const error = refused(typeof changed === 'string' ? Buffer.from(changed) : changed);
      expect(error.code).toBe('MANIFEST_MALFORMED');
      expect(error.exitCode).toBe(2);
      expect(error.message).toMatch(message);
    });
  }
  it('MANIFEST_MALFORMED: invalid UTF-8', () => {
    const [before, after] = canonicalJson(valid()).split('users"');
    const bytes = Buffer.concat([Buffer.from(`${before}us`), Buffer.from([0xff]), Buffer.from(`rs"${after}`)]);
    const error = refused(bytes);
    expect(error.code).toBe('MANIFEST_MALFORMED');
    expect(error.message).toMatch(/invalid UTF-8/);
  });

  const invalid: Array<[string, (m: any) => void, RegExp]> = [
    ['uppercase digest', (m) => (m.files[0].sha256 = B.toUpperCase()), /\$\.files\[0\]\.sha256 must be 64 lowercase hex digits/],
    ['digest too short', (m) => (m.files[0].sha256 = B.slice(1)), /\$\.files\[0\]\.sha256 must be 64 lowercase hex/],
    ['digest too long', (m) => (m.files[1].sha256 = `${A}00`), /\$\.files\[1\]\.sha256 must be 64 lowercase hex/],
    ['digest with a prefix', (m) => (m.files[1].sha256 = `sha256:${A.slice(7)}`), /\$\.files\[1\]\.sha256/],
    ['negative size', (m) => (m.files[0].size = -1), /\$\.files\[0\]\.size must be a non-negative integer/],
    ['size as a string', (m) => (m.files[0].size = '5'), /\$\.files\[0\]\.size/],
    ['unknown top-level field', (m) => (m.runFirst = 'DROP TABLE users'), /\$\.runFirst is not a known field/],
    ['unknown field in a file', (m) => (m.files[0].mode = 493), /\$\.files\[0\]\.mode is not a known field/],
    ['unknown field in a migration', (m) => (m.migrations[0].sql = 'DROP'), /\$\.migrations\[0\]\.sql is not a known field/],
    ['unknown field in source', (m) => (m.source.branch = 'main'), /\$\.source\.branch is not a known field/],
    ['unknown field in builder', (m) => (m.builder.trusted = true), /\$\.builder\.trusted is not a known field/],
    ['wrong format', (m) => (m.format = 'migseal.manifest/v2'), /\$\.format must be/],
    ['release that is not a version', (m) => (m.release = '42-rc1'), /\$\.release must be a release version/],
    ['release with a leading zero', (m) => (m.release = '042'), /\$\.release/],
    ['unknown dialect', (m) => (m.dialect = 'oracle'), /\$\.dialect must be one of/],
    ['unsafe file path', (m) => (m.files[0].path = '../1_users.down.sql'), /\$\.files\[0\]\.path must be a safe relative path/],
    ['file paths equal after case folding', (m) => (m.files[1].path = '1_USERS.down.sql'), /\$\.files\[1\]\.path repeats/],
    ['migration naming a file not in files', (m) => (m.migrations[0].up = '2_other.up.sql'), /\$\.migrations\[0\]\.up must name a file in \$\.files/],
    ['migration naming a file by another case', (m) => (m.migrations[0].up = '1_USERS.up.sql'), /\$\.migrations\[0\]\.up must name a file in \$\.files/],
    ['migration down naming a file by another case', (m) => (m.migrations[0].down = '1_users.DOWN.sql'), /\$\.migrations\[0\]\.down must name a file in \$\.files/],
    ['migration with neither up nor down', (m) => (delete m.migrations[0].up, delete m.migrations[0].down), /\$\.migrations\[0\]\.up must name a file in \$\.files/],
    ['empty up on a dbmate-sectioned migration', (m) => (delete m.migrations[0].up, (m.migrations[0].sections = 'dbmate')), /\$\.migrations\[0\]\.up must name a file in \$\.files/],
    ['duplicate migration version', (m) => m.migrations.push({ ...m.migrations[0] }), /\$\.migrations\[1\]\.version repeats 1/],
    ['createdAt not RFC 3339 UTC', (m) => (m.createdAt = '2026-01-01 00:00:00'), /\$\.createdAt must be an RFC 3339 UTC time/],
    ['createdAt impossible date', (m) => (m.createdAt = '2026-13-45T00:00:00Z'), /\$\.createdAt/],
    ['expiresAt with an offset', (m) => (m.expiresAt = '2026-01-01T00:00:00+02:00'), /\$\.expiresAt/],
    ['commit that is not hex', (m) => (m.source.commit = 'HEAD'), /\$\.source\.commit must be a hex commit id/],
    ['transactional missing', (m) => delete m.migrations[0].transactional, /\$\.migrations\[0\]\.transactional must be a boolean/],
    ['files not an array', (m) => (m.files = {}), /\$\.files must be an array/],
  ];
  for (const [name, change, message] of invalid) {
    it(`MANIFEST_INVALID: ${name}`, () => {
      const m = valid();
      change(m);
      const error = refused(text(m));
      expect(error.code).toBe('MANIFEST_INVALID');
      expect(error.message).toMatch(message);
    });
  }

  it("accepts a migration with only a down file (golang-migrate's empty up)", () => {
    const m: any = valid();
    delete m.migrations[0].up;
    expect(validateManifest(JSON.parse(canonicalJson(m)))).toEqual([]);
  });

  it('reports every problem, not only the first', () => {
    const m: any = valid();
    m.files[0].sha256 = 'X';
    m.release = 'x';
    m.extra = 1;
    expect(validateManifest(JSON.parse(canonicalJson(m)))).toHaveLength(3);
  });
});

describe('validateManifest against the reference validation', () => {
  // The long arrays are checked by loops of their own; the reference checks one field at a time.
  // Every variant must give the same problems, in the same order.
  const file = { path: 'a.sql', sha256: A, size: 1 };
  const migration = { version: '1', name: 'a', up: 'a.sql', transactional: true };
  const finding = { rule: 'destructive/drop-table', severity: 'error', category: 'destructive', file: 'a.sql', line: 0, message: 'm' };
  const variants: Array<[string, Record<string, unknown>]> = [
    ['valid entries, a finding at line 0', {}],
    ['arrays that are not arrays', { files: {}, migrations: 'x', findings: null }],
    ['absent arrays', { files: undefined, migrations: undefined, findings: undefined }],
    ['entries that are not objects', { files: [1, null, [], file], migrations: ['x', migration], findings: [true, finding] }],
    ['unknown fields', { files: [{ ...file, extra: 1, more: 2 }], migrations: [{ ...migration, sha256: A }], findings: [{ ...finding, why: 'x', line: 3 }] }],
    [
      'every file field wrong, and repeats',
      { files: [{ path: '../x', sha256: 'A'.repeat(64), size: -1 }, { path: 'A.sql', sha256: A, size: 1.5 }, file, { path: 'a.sql', sha256: A, size: 2 }, { path: 7 }, {}] },
    ],
    [
      'every migration field wrong, and repeats',
      {
        migrations: [
          { version: 'v 1', name: 'x'.repeat(256), up: 'b.sql', down: 3, transactional: 'yes', repeatable: 'no', runner: 'php', sections: 'flyway' },
          { version: '1', name: 'a', transactional: true },
          { version: '1', name: 'a', up: 'a.sql', transactional: true },
          { version: '1', name: 'a', down: 'a.sql', transactional: true },
          { version: '1', name: 'r', up: 'a.sql', transactional: false, repeatable: true },
          { version: '2', name: 'r', up: 'a.sql', transactional: false, repeatable: true },
          { name: 5, down: 'a.sql', runner: 'sql', transactional: true },
          { version: '3', name: 'n', up: 'a.sql', transactional: true, runner: 'native', sections: 'dbmate' },
        ],
      },
    ],
    [
      'every finding field wrong',
      {
        findings: [
          { rule: 1, severity: 'fatal', category: 2, file: 3, line: -1, message: 4, statement: 5, suppressed: 6, dialect: 'mysql', direction: 'up' },
          { severity: 'info', line: '1' },
          { ...finding, statement: 's', suppressed: 'r', dialect: 'sqlite', direction: 'down', severity: 'warning' },
          { ...finding, line: Number.NaN },
        ],
      },
    ],
  ];
  for (const [name, change] of variants) {
    it(name, async () => {
      const { referenceValidateManifest } = await import('../fuzz/reference/manifest-validation.js');
      const manifest = { ...valid(), files: [file], migrations: [migration], findings: [finding], ...change };
      const problems = validateManifest(manifest);
      expect(problems).toEqual(referenceValidateManifest(manifest));
      if (name.startsWith('valid')) expect(problems).toEqual([]);
      else expect(problems.length).toBeGreaterThan(0);
    });
  }
});
