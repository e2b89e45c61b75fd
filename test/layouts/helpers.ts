/** Packs a folder with the real CLI and reads back what the bundle claims (inspect --json). */
import { join } from 'node:path';
import { expect } from 'vitest';
import { jsonOf, runCli, type CliResult } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';
import type { Manifest } from '../../src/format/manifest.js';

export interface Packed {
  out: string;
  manifest: Manifest;
}

export async function packWithCli(dir: string, extra: string[] = []): Promise<Packed> {
  const out = join(tempDir('migseal-layout-out-'), 'bundle.migseal');
  const packed = await runCli(['pack', dir, '--project', 'shop', '--release', '1', '--out', out, ...extra]);
  expect(packed.stderr).toBe('');
  expect(packed.code).toBe(0);
  const inspected = await runCli(['inspect', out, '--json']);
  expect(inspected.code).toBe(0);
  return { out, manifest: jsonOf(inspected).manifest as Manifest };
}

/** Packs a malformed folder and checks the refusal names the file and the rule. */
export async function expectLayoutError(dir: string, file: string, rule: RegExp, extra: string[] = []): Promise<CliResult> {
  const out = join(tempDir('migseal-layout-out-'), 'bundle.migseal');
  const result = await runCli(['pack', dir, '--project', 'shop', '--release', '1', '--out', out, '--json', ...extra]);
  expect(result.code).toBe(1);
  const body = jsonOf(result);
  expect(body.code, String(body.message)).toBe('LAYOUT_INVALID');
  expect(String(body.message)).toContain(file);
  expect(String(body.message)).toMatch(rule);
  return result;
}

/** version, name, transactional and flags of each migration, in bundle order. */
export function summary(manifest: Manifest): string[] {
  return manifest.migrations.map(
    (m) => `${m.version} ${m.name}${m.down ? '' : ' no-down'}${m.transactional ? '' : ' no-tx'}${m.repeatable ? ' repeatable' : ''}${m.runner === 'native' ? ' native' : ''}`,
  );
}
