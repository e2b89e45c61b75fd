/**
 * Archive tricks from real tar-reader CVE classes. Each archive is built byte by byte with an
 * independent header encoder and holds a validly signed manifest, its files and signature,
 * so the only thing wrong with it is the trick under test. Checked through `migseal verify`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { LIMITS } from '../../src/limits.js';
import { BLOCK, gzip, paxRecord, rawTar, type RawEntry } from '../format/tar-bytes.js';
import { decodeBundle, expectRefused, expectVerified, makeWorld, type World } from '../helpers/verify-world.js';

let world: World;
let base: RawEntry[];
const UP = 'files/1_create_users.up.sql';

beforeAll(async () => {
  world = await makeWorld();
  const contents = await decodeBundle(world.bundle);
  base = [
    ...[...contents.files].map(([p, data]) => ({ name: `files/${p}`, data })),
    { name: 'manifest.json', data: contents.manifestBytes },
    ...[...contents.signatures].map(([name, data]) => ({ name, data })),
  ];
});
afterAll(() => world?.cleanup());

/** The valid entries with `entry` added (or replacing the entry of the same name when `replace`). */
function withEntry(entry: RawEntry, replace?: string): RawEntry[] {
  const rest = replace ? base.filter((e) => e.name !== replace) : base;
  return [entry, ...rest];
}

const refuse = (tar: Buffer, code: string, message: RegExp) => expectRefused(world, gzip(tar), code, message);

describe('control', () => {
  it('the same entries written by the independent encoder verify', async () => {
    await expectVerified(world, gzip(rawTar(base)));
  });
  it('zero padding after the end-of-archive marker is accepted', async () => {
    await expectVerified(world, gzip(rawTar(base, Buffer.alloc(10 * BLOCK))));
  });
});

describe('T2.1-T2.2 unsafe paths', () => {
  const sql = Buffer.from('DROP TABLE users;\n');
  it('".." segment', () => refuse(rawTar(withEntry({ name: 'files/../../etc/cron.d/evil', data: sql })), 'ARCHIVE_UNSAFE_ENTRY', /"\.\." segment/));
  it('".." segment hidden in the ustar prefix field', () =>
    refuse(rawTar(withEntry({ prefix: 'files/..', name: 'evil.sql', data: sql })), 'ARCHIVE_UNSAFE_ENTRY', /"\.\." segment/));
  it('"." segment', () => refuse(rawTar(withEntry({ name: 'files/./1_create_users.up.sql', data: sql })), 'ARCHIVE_UNSAFE_ENTRY', /"\." segment/));
  it('absolute path', () => refuse(rawTar(withEntry({ name: '/etc/passwd', data: sql })), 'ARCHIVE_UNSAFE_ENTRY', /it is absolute/));
  it('drive letter', () => refuse(rawTar(withEntry({ name: 'C:/Windows/evil.sql', data: sql })), 'ARCHIVE_UNSAFE_ENTRY', /drive letter/));
  it('drive-relative path', () => refuse(rawTar(withEntry({ name: 'C:evil.sql', data: sql })), 'ARCHIVE_UNSAFE_ENTRY', /drive letter/));
  it('colon (alternate data stream)', () => refuse(rawTar(withEntry({ name: 'files/a.sql:evil', data: sql })), 'ARCHIVE_UNSAFE_ENTRY', /colon/));
  it('backslash', () => refuse(rawTar(withEntry({ name: 'files\\..\\..\\evil.sql', data: sql })), 'ARCHIVE_UNSAFE_ENTRY', /backslash/));
  it('empty segment', () => refuse(rawTar(withEntry({ name: 'files//evil.sql', data: sql })), 'ARCHIVE_UNSAFE_ENTRY', /empty segment/));
  it('non-ASCII name (UTF-8 é)', () =>
    refuse(rawTar(withEntry({ name: '', nameBytes: Buffer.from('files/caf\u00e9.sql', 'utf8'), data: sql })), 'ARCHIVE_UNSAFE_ENTRY', /non-ASCII or control character/));
  it('non-ASCII name (Latin-1 byte)', () =>
    refuse(rawTar(withEntry({ name: '', nameBytes: Buffer.from('files/caf\u00e9.sql', 'latin1'), data: sql })), 'ARCHIVE_UNSAFE_ENTRY', /non-ASCII or control character/));
  it('names equal after Unicode normalization (NFC vs NFD) are refused as non-ASCII', async () => {
    const nfc = { name: '', nameBytes: Buffer.from('files/\u00e9.sql', 'utf8'), data: sql };
    const nfd = { name: '', nameBytes: Buffer.from('files/e\u0301.sql', 'utf8'), data: sql };
    await refuse(rawTar([nfc, nfd, ...base]), 'ARCHIVE_UNSAFE_ENTRY', /non-ASCII or control character/);
  });
  it('control character in name (newline)', () => refuse(rawTar(withEntry({ name: 'files/a\nb.sql', data: sql })), 'ARCHIVE_UNSAFE_ENTRY', /non-ASCII or control character/));
  it('control character in name (escape sequence)', () => refuse(rawTar(withEntry({ name: 'files/\u001b[2Jx.sql', data: sql })), 'ARCHIVE_UNSAFE_ENTRY', /non-ASCII or control character/));
});

describe('T2.3-T2.4 entries that are not plain files', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['symlink', '2', /symbolic link/],
    ['hardlink', '1', /hard link/],
    ['character device', '3', /character device/],
    ['block device', '4', /block device/],
    ['FIFO', '6', /FIFO/],
    ['directory entry', '5', /directory/],
    ['contiguous file', '7', /contiguous file/],
    ['PAX extended header (x)', 'x', /PAX extended header/],
    ['PAX global header (g)', 'g', /PAX global header/],
    ['GNU long name (L)', 'L', /GNU long-name header/],
    ['GNU long link (K)', 'K', /GNU long-link header/],
    ['GNU sparse file (S)', 'S', /GNU sparse file/],
  ];
  for (const [attack, type, message] of cases) {
    it(attack, async () => {
      const entry: RawEntry =
        type === 'x' || type === 'g'
          ? { name: 'PaxHeaders/x', type, data: Buffer.from(paxRecord('path', UP)) }
          : type === 'L' || type === 'K'
            ? { name: '././@LongLink', type, data: Buffer.from(`${UP}\0`) }
            : { name: type === '5' ? 'files' : UP, type, ...(type === '1' || type === '2' ? { linkname: '/etc/passwd' } : {}) };
      // The trick sits right before (or instead of) the first migration file.
      await refuse(rawTar(withEntry(entry, type === '5' || type === 'x' || type === 'g' || type === 'L' || type === 'K' ? undefined : UP)), 'ARCHIVE_UNSAFE_ENTRY', message);
    });
  }
  it('PAX header overriding the path of the next entry', async () => {
    const pax = { name: 'PaxHeaders/evil', type: 'x', data: Buffer.from(paxRecord('path', '../../evil.sql')) };
    await refuse(rawTar([pax, ...base]), 'ARCHIVE_UNSAFE_ENTRY', /PAX extended header/);
  });
  it('GNU header (GNU magic "ustar  ")', () =>
    refuse(rawTar(withEntry({ name: '././@LongLink', type: 'L', magic: Buffer.from('ustar  \0', 'latin1'), data: Buffer.from(`${UP}\0`) })), 'ARCHIVE_UNSAFE_ENTRY', /not POSIX ustar/));
  it('old-style (v7) header without magic', () =>
    refuse(rawTar(withEntry({ name: UP, magic: Buffer.alloc(8), data: Buffer.from('x') }, UP)), 'ARCHIVE_UNSAFE_ENTRY', /not POSIX ustar/));
  it('plain file that names a link target', () =>
    refuse(rawTar(withEntry({ name: 'files/extra.sql', linkname: '/etc/passwd', data: Buffer.from('x') })), 'ARCHIVE_UNSAFE_ENTRY', /names a link target/));
});

describe('T2.5 duplicates', () => {
  it('duplicate path (a second manifest.json)', () =>
    refuse(rawTar([...base, { name: 'manifest.json', data: Buffer.from('{}') }]), 'ARCHIVE_DUPLICATE_ENTRY', /holds manifest\.json twice/));
  it('duplicate path (a second copy of a migration with other bytes)', () =>
    refuse(rawTar([...base, { name: UP, data: Buffer.from('DROP TABLE users;\n') }]), 'ARCHIVE_DUPLICATE_ENTRY', /holds files\/1_create_users\.up\.sql twice/));
  it('paths equal after case folding', () =>
    refuse(rawTar([...base, { name: 'files/1_CREATE_USERS.up.sql', data: Buffer.from('DROP TABLE users;\n') }]), 'ARCHIVE_DUPLICATE_ENTRY', /differ only by case/));
});

describe('T2.6-T2.7 limits', () => {
  it('entry size over the cap (declared 8 GiB)', () =>
    refuse(rawTar(withEntry({ name: 'files/huge.sql', size: 0o77777777777, data: Buffer.alloc(0) })), 'ARCHIVE_LIMIT_EXCEEDED', /larger than \d+ bytes/));

  it('entry count over the cap (one more entry than LIMITS.maxEntries)', { timeout: 120_000 }, async () => {
    const extra = LIMITS.maxEntries - base.length + 1;
    const entries = [...base, ...Array.from({ length: extra }, (_, i) => ({ name: `files/pad/${i.toString(36)}.sql` }))];
    await expectRefused(world, gzip(rawTar(entries), 1), 'ARCHIVE_LIMIT_EXCEEDED', new RegExp(`more than ${LIMITS.maxEntries} entries`));
  });

  it('gzip bomb (32 MiB of zeros in ~32 KiB: ratio over the cap)', async () => {
    const tar = rawTar([...base, { name: 'files/zeros.sql', data: Buffer.alloc(32 * 1024 ** 2) }]);
    const bomb = gzipSync(tar, { level: 9 });
    expect(tar.length / bomb.length).toBeGreaterThan(200);
    await expectRefused(world, bomb, 'ARCHIVE_LIMIT_EXCEEDED', /decompresses to more than \d+ bytes/);
  });
});

describe('T2.8-T2.9 framing', () => {
  it('bytes after the end-of-archive marker other than zero padding', () =>
    refuse(rawTar(base, Buffer.concat([Buffer.from('#!/bin/sh\nrm -rf /\n'), Buffer.alloc(BLOCK - 19)])), 'ARCHIVE_MALFORMED', /data after its end-of-archive marker/));
  it('a whole hidden entry after the end-of-archive marker', () =>
    refuse(rawTar(base, rawTar([{ name: 'files/4_hidden.up.sql', data: Buffer.from('DROP TABLE users;\n') }])), 'ARCHIVE_MALFORMED', /data after its end-of-archive marker/));
  it('bad header checksum', () => refuse(rawTar([{ ...base[0]!, checksumDelta: 1 }, ...base.slice(1)]), 'ARCHIVE_MALFORMED', /bad checksum/));
  it('base-256 size field', () => {
    const data = base[0]!.data!;
    const size = Buffer.alloc(12);
    size[0] = 0x80;
    size.writeUInt32BE(data.length, 8);
    return refuse(rawTar([{ ...base[0]!, sizeField: size }, ...base.slice(1)]), 'ARCHIVE_MALFORMED', /size field is not an octal number/);
  });
  it('non-zero padding after an entry', () => {
    const tar = rawTar(base);
    const first = base[0]!.data!.length;
    expect(first % BLOCK).not.toBe(0);
    tar[BLOCK + first] = 0x41;
    return refuse(tar, 'ARCHIVE_MALFORMED', /padding after .* is not zero/);
  });
  it('data in a header\'s unused bytes', () => {
    const tar = rawTar(base);
    tar[505] = 0x41;
    // keep the checksum right so only the unused bytes are wrong
    const sum = [...tar.subarray(0, BLOCK)].reduce((s, b, i) => s + (i >= 148 && i < 156 ? 0x20 : b), 0);
    tar.write(`${sum.toString(8).padStart(7, '0')}\0`, 148, 8, 'latin1');
    return refuse(tar, 'ARCHIVE_MALFORMED', /unused bytes/);
  });

  describe('truncation', () => {
    const at = (length: (tar: Buffer) => number, message: RegExp) => () => {
      const tar = rawTar(base);
      return refuse(tar.subarray(0, length(tar)), 'ARCHIVE_MALFORMED', message);
    };
    it('inside the first header', at(() => 300, /not a whole number of blocks/));
    it('right after the first header', at(() => BLOCK, /truncated inside files\//));
    it('inside the last entry (on a block boundary)', at((t) => t.length - 3 * BLOCK, /truncated/));
    it('before the end-of-archive marker', at((t) => t.length - 2 * BLOCK, /no end-of-archive marker/));
    it('half of the end-of-archive marker', at((t) => t.length - BLOCK, /incomplete end-of-archive marker/));
    it('bytes after the compressed stream (zeros, or a second gzip member)', async () => {
      const gz = gzip(rawTar(base));
      await expectRefused(world, Buffer.concat([gz, Buffer.alloc(64)]), 'ARCHIVE_MALFORMED', /data after its compressed stream/);
      await expectRefused(world, Buffer.concat([gz, gzip(Buffer.alloc(BLOCK))]), 'ARCHIVE_MALFORMED', /data after its compressed stream/);
    });
    it('the compressed stream cut short', async () => {
      const gz = gzip(rawTar(base));
      await expectRefused(world, gz.subarray(0, gz.length - 100), 'ARCHIVE_MALFORMED', /compressed stream is damaged/);
      await expectRefused(world, gz.subarray(0, 10), 'ARCHIVE_MALFORMED', /not a gzip stream/);
    });
  });
});
