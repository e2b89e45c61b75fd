import { execBundle } from '../../exec/index.js';
import { bundleJson, migrationList } from '../json-shape.js';
import { auditLogLocation, ensureAuditLogWritable } from '../audit-trail.js';
import { openSinks, sinkNames } from '../audit-sinks.js';
import { loadTrustPolicy } from '../../trust/policy.js';
import { streamInput } from '../io.js';
import { requireFlag } from '../parse.js';
import { COMMANDS, type CommandRun } from '../table.js';

/** The command's own output goes straight to the terminal; migseal adds nothing to stdout unless --json. */
export const run: CommandRun = async ({ positionals, flags, command }, { env, cwd, progress }) => {
  const usage = COMMANDS.exec!.usage;
  const policy = loadTrustPolicy(requireFlag(flags, 'trust', usage));
  const location = auditLogLocation(flags, env, cwd);
  // A sink that cannot be used refuses the command here, before anything runs.
  const sinks = openSinks(sinkNames(flags, env), env);
  ensureAuditLogWritable(location);
  const auditLog = location.path;
  const bundle = streamInput(positionals[0]!, 'bundle');
  progress(`verifying ${positionals[0]}`);
  const result = await execBundle(bundle, {
    policy,
    ...(typeof flags.env === 'string' && { environment: flags.env }),
    command: command ?? [],
    auditLog,
    ...(sinks.length > 0 && { alsoSend: (line: string, outcome: unknown) => sinks.forEach((sink) => sink.send(line, outcome)) }),
    env,
  });
  const m = result.verified.manifest;
  return {
    text: '',
    json: {
      ok: result.exitCode === 0,
      bundle: bundleJson(positionals[0], result.verified.digest, m, true),
      digest: result.verified.digest,
      project: m.project,
      release: m.release,
      environment: result.verified.environment,
      exitCode: result.exitCode,
      ...(result.signal && { signal: result.signal }),
    },
    exitCode: result.exitCode,
  };
};
