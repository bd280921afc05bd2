/**
 * A throwaway Apple-shaped certificate chain for tests: a P-384 root, a
 * P-384 intermediate with Apple's intermediate OID, a P-256 leaf with Apple's
 * leaf OID, and a signer that produces StoreKit-style JWS with x5c headers.
 * Every knob that the verifier checks can be turned to a wrong value.
 */
import {
  BasicConstraintsExtension,
  Extension,
  X509Certificate,
  X509CertificateGenerator,
} from "@peculiar/x509";
import { CompactSign } from "jose";
import { APPLE_INTERMEDIATE_OID, APPLE_LEAF_OID } from "../_shared/apple/jws.ts";

const P384 = { name: "ECDSA", namedCurve: "P-384" };
const P256 = { name: "ECDSA", namedCurve: "P-256" };
const SIGN_384 = { name: "ECDSA", hash: "SHA-384" };
/** ASN.1 NULL, the value Apple's marker extensions carry. */
const NULL_VALUE = new Uint8Array([0x05, 0x00]);
const DAY = 86_400_000;

export interface ChainOptions {
  /** The verifier's "now"; certificates are valid around it by default. */
  now: Date;
  leafOid?: boolean;
  intermediateOid?: boolean;
  intermediateIsCa?: boolean;
  leafNotAfter?: Date;
  intermediateNotAfter?: Date;
  /** Sign the leaf with this key pair instead of the intermediate's (a broken link). */
  leafSignedByStranger?: boolean;
}

export interface TestChain {
  rootPem: string;
  root: X509Certificate;
  /** A StoreKit-style JWS over `payload`, x5c = [leaf, intermediate, root]. */
  sign(payload: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
  x5c: string[];
}

function b64(bytes: ArrayBuffer): string {
  let bin = "";
  for (const b of new Uint8Array(bytes)) bin += String.fromCharCode(b);
  return btoa(bin);
}

async function ecKeys(params: EcKeyGenParams): Promise<CryptoKeyPair> {
  return await crypto.subtle.generateKey(params, true, ["sign", "verify"]) as CryptoKeyPair;
}

export async function makeChain(options: ChainOptions): Promise<TestChain> {
  const t = options.now.getTime();
  const notBefore = new Date(t - DAY);
  const notAfter = new Date(t + 365 * DAY);
  const rootKeys = await ecKeys(P384);
  const root = await X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: "CN=Test Root CA - G3, O=Test Inc., C=US",
    notBefore,
    notAfter,
    signingAlgorithm: SIGN_384,
    keys: rootKeys,
    extensions: [new BasicConstraintsExtension(true, undefined, true)],
  });
  const intermediateKeys = await ecKeys(P384);
  const intermediateExtensions: Extension[] = [
    new BasicConstraintsExtension(options.intermediateIsCa ?? true, 0, true),
  ];
  if (options.intermediateOid ?? true) {
    intermediateExtensions.push(new Extension(APPLE_INTERMEDIATE_OID, false, NULL_VALUE));
  }
  const intermediate = await X509CertificateGenerator.create({
    serialNumber: "02",
    subject: "CN=Test Worldwide Developer Relations CA - G6, O=Test Inc., C=US",
    issuer: root.subject,
    notBefore,
    notAfter: options.intermediateNotAfter ?? notAfter,
    signingAlgorithm: SIGN_384,
    publicKey: intermediateKeys.publicKey,
    signingKey: rootKeys.privateKey,
    extensions: intermediateExtensions,
  });
  const leafKeys = await ecKeys(P256);
  const stranger = options.leafSignedByStranger ? await ecKeys(P384) : undefined;
  const leaf = await X509CertificateGenerator.create({
    serialNumber: "03",
    subject: "CN=Test StoreKit Signing, O=Test Inc., C=US",
    issuer: intermediate.subject,
    notBefore,
    notAfter: options.leafNotAfter ?? notAfter,
    signingAlgorithm: SIGN_384,
    publicKey: leafKeys.publicKey,
    signingKey: (stranger ?? intermediateKeys).privateKey,
    extensions: (options.leafOid ?? true) ? [new Extension(APPLE_LEAF_OID, false, NULL_VALUE)] : [],
  });
  const x5c = [leaf, intermediate, root].map((c) => b64(c.rawData));
  return {
    rootPem: root.toString("pem"),
    root,
    x5c,
    sign: (payload, header = {}) =>
      new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
        .setProtectedHeader({ alg: "ES256", x5c, ...header })
        .sign(leafKeys.privateKey),
  };
}
