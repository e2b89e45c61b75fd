/**
 * How the CLI ends: all of its output reaches a slow reader, a reader that went away is not
 * a crash, and output that could not be written is not a success.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';

describe('the end of a command', () => {
  it('delivers all of its output to a reader that reads slowly', async () => {
    const whole = (await runCli(['help', 'pack'])).stdout;
    expect(whole.length).toBeGreaterThan(500);
    // The shell's pipe to a reader that starts late, as `migseal ... | slow-consumer` would be.
    const slow = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" help pack | (sleep 0.3; cat)`], { encoding: 'utf8' });
    expect(slow.status).toBe(0);
    const out = slow.stdout;
    expect(out).toBe(whole);
  });

  it('exits quietly with its own code when the reader has gone (as `| head` does)', async () => {
    const child = spawn(process.execPath, [BIN, 'help', 'pack'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(stderr).toBe('');
  });

  it('exits 1 and says so when its output cannot be written', () => {
    const full = openSync('/dev/full', 'w');
    try {
      const result = spawnSync(process.execPath, [BIN, '--version'], { stdio: ['ignore', full, 'pipe'], encoding: 'utf8' });
      expect(result.status).toBe(1);
      expect(result.stderr).toBe('migseal: error: cannot write the output (ENOSPC).\n');
    } finally {
      closeSync(full);
    }
  });
});
