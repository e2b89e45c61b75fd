/** The migseal library: pack, verify and inspect bundles from code. */
export { pack, type PackOptions, type PackResult } from './pack/index.js';
export { verifyBundle, type VerifyOptions, type VerifiedBundle } from './verify/index.js';
export type { VerifiedProvenance } from './verify/check-provenance.js';
export { inspectBundle, type InspectReport } from './inspect/index.js';
export { addSignature } from './signing/add-signature.js';
export { KeySigner } from './signing/key-signer.js';
export { generateKeyPair, loadPrivateKey, loadPublicKey, keyIdOf } from './signing/keys.js';
export { loadTrustPolicy, type TrustPolicy } from './trust/policy.js';
export { MigsealError, ERROR_CODES, type ErrorCode } from './errors.js';
export { LIMITS } from './limits.js';
export { compareReleases } from './format/release-version.js';
export type { Manifest, ManifestMigration, ManifestFile, ManifestFinding } from './format/manifest.js';
export { applyBundle, previewApply, rollbackBundle, resolveMigration, readHistory, readRuns, type ApplyReport, type PreviewReport, type RollbackReport, type ResolveReport, type History } from './apply/index.js';
export { openDatabase, parseDatabaseUrl, type Driver, type DatabaseUrl } from './db/index.js';
export { execBundle, type ExecOptions, type ExecResult } from './exec/index.js';
export { adoptDatabase, PEERS, type AdoptReport, type Peer } from './adopt/index.js';
export { analyzeFolder, analyzeMigrations, transactionModeFor, toSarif, RULES, type Finding, type FolderAnalysis, type TransactionSemantics } from './lint/index.js';
export { decideFinding, type FindingsPolicy, type FindingAction } from './trust/findings-policy.js';
