/**
 * The trust policy `migseal trust init` writes: the release signer (a public key, or a
 * certificate identity and issuer on the public-good Sigstore instance), optional approvers,
 * and one environment. It is never weaker than the defaults: one release signature always;
 * with approvers, one approval too, from someone other than the release signer.
 */
import { basename, dirname, relative, resolve } from 'node:path';
import { MigsealError } from '../errors.js';
import { PUBLIC_GOOD } from './sigstore-root.js';

export interface InitialPolicyOptions {
  project: string;
  /** Where the policy will be written: key paths in it are relative to its folder. */
  out: string;
  releaseKey?: string;
  approverKeys: string[];
  identity?: string;
  issuer?: string;
  environment: string;
}

export function initialPolicy(o: InitialPolicyOptions): Record<string, unknown> {
  if (!o.releaseKey && !o.identity) throw new MigsealError('USAGE', 'Name the release signer: --key release.pub, or --identity ID --issuer URL (keyless CI).');
  if ((o.identity === undefined) !== (o.issuer === undefined)) throw new MigsealError('USAGE', '--identity and --issuer go together: the exact certificate identity and the exact OIDC issuer URL.');
  const base = dirname(resolve(o.out));
  const ids = new Set<string>();
  const keyEntry = (path: string, role: 'release' | 'approve') => {
    let id = basename(path).replace(/\.pub$/, '') || role;
    for (let n = 2; ids.has(id); n++) id = `${basename(path).replace(/\.pub$/, '')}-${n}`;
    ids.add(id);
    return { id, publicKey: relative(base, resolve(path)) || basename(path), roles: [role] };
  };
  const keys = [...(o.releaseKey ? [keyEntry(o.releaseKey, 'release')] : []), ...o.approverKeys.map((k) => keyEntry(k, 'approve'))];
  const identities = o.identity ? [{ id: 'release-ci', ca: PUBLIC_GOOD, identity: o.identity, issuer: o.issuer, roles: ['release'] }] : [];
  const rule = {
    release: 1,
    ...(o.approverKeys.length > 0 && { approve: 1, approversDistinctFromRelease: true }),
  };
  return {
    project: o.project,
    keys,
    ...(identities.length > 0 && { identities }),
    environments: { [o.environment]: rule },
  };
}
