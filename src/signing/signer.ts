/**
 * The extension point for producing signatures: a keyed signer here, certificate and
 * keyless (Fulcio) signers beside it. The shape is @sigstore/sign's own `Signer`, so any
 * of them plugs straight into its bundle builder.
 */
export type { Signer, Signature } from '@sigstore/sign';
