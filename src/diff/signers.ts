/** Compares who signed two releases, by role and key id or certificate identity. */
import type { ReleaseSigner } from './read-release.js';

export interface SignersDiff {
  added: ReleaseSigner[];
  removed: ReleaseSigner[];
}

export function diffSigners(before: readonly ReleaseSigner[], after: readonly ReleaseSigner[]): SignersDiff {
  const key = (s: ReleaseSigner) => `${s.role}\u0000${s.keyId ?? `${s.identity ?? s.signer}\u0000${s.issuer ?? ''}`}`;
  const oldKeys = new Set(before.map(key));
  const newKeys = new Set(after.map(key));
  return { added: after.filter((s) => !oldKeys.has(key(s))), removed: before.filter((s) => !newKeys.has(key(s))) };
}
