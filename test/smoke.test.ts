import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

describe('migseal CLI', () => {
  it('prints its version', async () => {
    const result = await runCli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('refuses an unknown command with exit 1', async () => {
    const result = await runCli(['frobnicate']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Unknown command "frobnicate"');
  });
});
