/**
 * Local verification of Apple's signed data (StoreKit 2 transactions, App
 * Store Server Notifications V2): the same checks as Apple's own
 * SignedDataVerifier, written on WebCrypto because Apple's Node library
 * needs Node-only crypto APIs that Supabase's edge runtime lacks.
 *
 * A JWS is accepted only when:
 * - its header says ES256 and carries exactly three x5c certificates;
 * - the intermediate (x5c[1]) is signed by one of OUR trusted roots and names
 *   it as issuer; x5c[2] is never trusted, whatever it contains;
 * - the leaf (x5c[0]) is signed by the intermediate and names it as issuer;
 * - the intermediate is a CA and carries Apple's intermediate marker OID,
 *   the leaf carries Apple's App Store receipt-signing OID;
 * - every certificate of the chain is valid at the verifier's clock;
 * - the JWS signature verifies with the leaf's P-256 key.
 * OCSP revocation checks are not done (Apple's library makes them optional).
 */
import { compactVerify, decodeProtectedHeader } from "jose";
import { BasicConstraintsExtension, X509Certificate } from "@peculiar/x509";
import { APPLE_ROOT_CA_G3_PEM } from "./root_ca.ts";

/** Apple's marker on the leaf that signs App Store data. */
export const APPLE_LEAF_OID = "1.2.840.113635.100.6.11.1";
/** Apple's marker on the WWDR intermediate that issues the leaf. */
export const APPLE_INTERMEDIATE_OID = "1.2.840.113635.100.6.2.1";

/** The signed data is not Apple's (or not valid now). Never retry it. */
export class InvalidSignatureError extends Error {
  override name = "InvalidSignatureError";
}

export interface AppleJwsVerifier {
  /** The verified payload, or throws InvalidSignatureError. */
  verify(jws: string): Promise<Record<string, unknown>>;
}

export interface AppleJwsOptions {
  /** PEM or base64 DER certificates; defaults to Apple Root CA - G3. */
  trustedRoots?: readonly string[];
  now?: () => Date;
}

export function appleJwsVerifier(
  options: AppleJwsOptions = {},
): AppleJwsVerifier {
  const roots = (options.trustedRoots ?? [APPLE_ROOT_CA_G3_PEM]).map(
    parseCertificate,
  );
  const now = options.now ?? (() => new Date());
  return { verify: (jws) => verifyAppleJws(jws, roots, now()) };
}

async function verifyAppleJws(
  jws: string,
  roots: X509Certificate[],
  at: Date,
): Promise<Record<string, unknown>> {
  if (typeof jws !== "string" || jws.split(".").length !== 3) {
    throw new InvalidSignatureError("not a compact JWS");
  }
  let header;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    throw new InvalidSignatureError("unreadable JWS header");
  }
  if (header.alg !== "ES256") {
    throw new InvalidSignatureError(`unexpected alg ${String(header.alg)}`);
  }
  const x5c = header.x5c;
  if (
    !Array.isArray(x5c) || x5c.length !== 3 ||
    !x5c.every((c) => typeof c === "string")
  ) {
    throw new InvalidSignatureError("x5c must hold exactly 3 certificates");
  }
  let leaf: X509Certificate, intermediate: X509Certificate;
  try {
    leaf = new X509Certificate(base64ToBytes(x5c[0]));
    intermediate = new X509Certificate(base64ToBytes(x5c[1]));
  } catch {
    throw new InvalidSignatureError("unreadable x5c certificate");
  }

  const root = await findTrustedIssuer(intermediate, roots);
  if (!root) {
    throw new InvalidSignatureError("chain does not lead to a trusted root");
  }
  if (
    leaf.issuer !== intermediate.subject ||
    !(await signedBy(leaf, intermediate))
  ) {
    throw new InvalidSignatureError("leaf is not issued by the intermediate");
  }
  if (!intermediate.getExtension(BasicConstraintsExtension)?.ca) {
    throw new InvalidSignatureError("intermediate is not a CA");
  }
  if (!intermediate.getExtension(APPLE_INTERMEDIATE_OID)) {
    throw new InvalidSignatureError("intermediate lacks Apple's OID");
  }
  if (!leaf.getExtension(APPLE_LEAF_OID)) {
    throw new InvalidSignatureError("leaf lacks Apple's OID");
  }
  for (const cert of [leaf, intermediate, root]) {
    if (at < cert.notBefore || at > cert.notAfter) {
      throw new InvalidSignatureError(
        `certificate ${cert.subject} is not valid at ${at.toISOString()}`,
      );
    }
  }

  let leafKey: CryptoKey;
  try {
    leafKey = await leaf.publicKey.export(
      { name: "ECDSA", namedCurve: "P-256" },
      ["verify"],
    );
  } catch {
    throw new InvalidSignatureError("leaf key is not an ECDSA P-256 key");
  }
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(jws, leafKey, {
      algorithms: ["ES256"],
    }));
  } catch {
    throw new InvalidSignatureError("JWS signature does not verify");
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    throw new InvalidSignatureError("payload is not JSON");
  }
  if (typeof decoded !== "object" || decoded === null || Array.isArray(decoded)) {
    throw new InvalidSignatureError("payload is not a JSON object");
  }
  return decoded as Record<string, unknown>;
}

async function findTrustedIssuer(
  cert: X509Certificate,
  roots: X509Certificate[],
): Promise<X509Certificate | undefined> {
  for (const root of roots) {
    if (cert.issuer === root.subject && (await signedBy(cert, root))) {
      return root;
    }
  }
  return undefined;
}

/** Signature only: validity dates are checked against our own clock. */
async function signedBy(
  cert: X509Certificate,
  issuer: X509Certificate,
): Promise<boolean> {
  try {
    return await cert.verify({ publicKey: issuer, signatureOnly: true });
  } catch {
    return false;
  }
}

function parseCertificate(pemOrBase64: string): X509Certificate {
  const body = pemOrBase64.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  return new X509Certificate(base64ToBytes(body));
}

function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
