/**
 * The fuzz targets' world, written once into a private folder: a key, trust.json naming it and
 * a public-good identity, a real signed bundle, and seeds/<target>/<n> from that bundle and from
 * realistic folders of each layout. targets.ts reads it back.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { decodeBundle } from '../../src/format/bundle-archive.js';
import { readFolder } from '../../src/layouts/folder.js';
import type { FolderListing } from '../../src/layouts/layout.js';
import { PUBLIC_GOOD } from '../../src/trust/sigstore-root.js';
import { makeKey, packBundle, SHOP_MIGRATIONS, writeMigrations, writePolicy } from '../helpers/fixtures.js';
import { pgScripts } from '../helpers/pg-scripts.js';
import { atlasFolder, DBMATE_FILES, dbmateFolder, dieselFolder, doctrineFolder, flywayFolder, prismaFolder } from '../layouts/folders.js';

const BEACON = 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';

/** Writes the world into `dir`, an empty private folder. */
export async function makeWorld(dir: string): Promise<void> {
  const key = makeKey(dir, 'release');
  const policyPath = writePolicy(dir, { keys: [{ key, roles: ['release'] }] });
  const policyText = Buffer.from(
    JSON.stringify({
      project: 'shop',
      keys: [{ id: 'release', publicKey: 'release.pub', roles: ['release'] }],
      identities: [{ id: 'ci', ca: PUBLIC_GOOD, identity: BEACON, issuer: 'https://token.actions.githubusercontent.com', roles: ['release'] }],
      environments: { default: { release: 1 }, production: { release: 1, approve: 1, requireExpiry: true } },
    }),
  );
  writeFileSync(policyPath, policyText);
  const bundle = await packBundle({ dir: writeMigrations(join(dir, 'migrations'), SHOP_MIGRATIONS), signers: [{ signer: key.signer, role: 'release' }] });
  const contents = await decodeBundle(bundle);
  const signature = [...contents.signatures.values()][0]!;
  const folders = [prismaFolder(), dieselFolder(), dbmateFolder(), flywayFolder(), atlasFolder(), doctrineFolder(), join(dir, 'migrations')];
  const seeds: Record<string, Buffer[]> = {
    // A first byte 0: the rest is the bundle file; 1: the rest is gzipped into one (targets.ts).
    'bundle-archive': [Buffer.concat([Buffer.from([0]), bundle]), Buffer.concat([Buffer.from([0]), gzipSync(Buffer.alloc(1024))]), Buffer.concat([Buffer.from([1]), gunzipSync(bundle)])],
    tar: [gunzipSync(bundle), Buffer.alloc(1024)],
    'strict-json': [contents.manifestBytes, signature, policyText, Buffer.from('{"a":[1,-2,"\\u00e9",true,null,{"b":{}}]}')],
    manifest: [contents.manifestBytes],
    'trust-policy': [policyText, Buffer.from(JSON.stringify({ project: 'p', keys: [], cas: [{ id: 'x', trustedRoot: 'root.json' }], environments: { default: { release: 1 } } }))],
    'sigstore-bundle': [signature, ...contents.attestations.values()],
    'dbmate-sections': Object.values(DBMATE_FILES).map((text) => Buffer.from(text)),
    layouts: folders.map((folder) => encodeListing(readFolder(folder))),
    'canonical-json': [contents.manifestBytes, policyText, Buffer.from('{"b":1,"a":[1.5,{"__proto__":{"9":0,"10":[]}},1e300,-0,"\\ud800"],"é":{"Z":null,"z":true}}')],
    'pg-common-ddl': [...pgScripts(40, 7), 'CREATE TABLE items_1 (\n  id BIGINT PRIMARY KEY,\n  name TEXT NOT NULL,\n  price_cents INTEGER NOT NULL DEFAULT 1,\n  created_at TIMESTAMP NOT NULL\n);\nCREATE INDEX items_1_name ON items_1 (name);\n', 'DROP TABLE items_1;\n'].map((text) => Buffer.from(text)),
  };
  for (const [name, list] of Object.entries(seeds)) {
    mkdirSync(join(dir, 'seeds', name), { recursive: true });
    list.forEach((bytes, i) => writeFileSync(join(dir, 'seeds', name, `seed-${i}`), bytes));
  }
}

// A folder as fuzz bytes: path NUL content NUL, repeated; paths sorted and unique as readFolder gives them.
function encodeListing(listing: FolderListing): Buffer {
  return Buffer.concat(listing.paths.flatMap((path) => [Buffer.from(path), Buffer.from([0]), listing.read(path), Buffer.from([0])]));
}

