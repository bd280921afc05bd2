/** The embedded trust anchor is Apple Root CA - G3, byte for byte. */
import assert from "node:assert/strict";
import { X509Certificate } from "@peculiar/x509";
import { APPLE_ROOT_CA_G3_PEM, APPLE_ROOT_CA_G3_SHA256 } from "../_shared/apple/root_ca.ts";

Deno.test("apple root: the embedded certificate has Apple's published SHA-256 fingerprint", async () => {
  const cert = new X509Certificate(APPLE_ROOT_CA_G3_PEM);
  const digest = new Uint8Array(await cert.getThumbprint("SHA-256"));
  const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  assert.equal(hex, APPLE_ROOT_CA_G3_SHA256);
  assert.equal(hex, "63343abfb89a6a03ebb57e9b3f5fa7be7c4f5c756f3017b3a8c488c3653e9179");
  assert.equal(
    cert.subject,
    "CN=Apple Root CA - G3, OU=Apple Certification Authority, O=Apple Inc., C=US",
  );
  assert.ok(await cert.isSelfSigned());
  assert.equal(cert.notAfter.toISOString(), "2039-04-30T18:19:06.000Z");
});
