/**
 * The check kinds of the secrets registry (src/secrets.ts): each takes a value
 * and says what is wrong with it, or nothing. Pure functions, no I/O, never
 * echoing the value (a problem line must be safe to print and to log).
 */
import crypto from "node:crypto";
import type { Options } from "../options.js";
import type { SecretCheck } from "../secrets.js";

/** What the check needs besides the value: the options given at generation. */
export interface CheckContext {
  options: Pick<Options, "bundleId" | "androidPackage">;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The functions turn a literal `\n` into a newline before reading a PEM; so does the check. */
export function unescapeNewlines(pem: string): string {
  return pem.replaceAll("\\n", "\n");
}

function privateKey(pem: string): crypto.KeyObject | string {
  try {
    return crypto.createPrivateKey({ key: pem, format: "pem" });
  } catch (err) {
    return (err as Error).message.replace(/^error:[0-9A-F]+:/, "");
  }
}

/** Apple's .p8: PKCS#8 ("BEGIN PRIVATE KEY"), an EC key on P-256. */
function checkP8(value: string): string | undefined {
  const pem = unescapeNewlines(value).trim();
  if (/-----BEGIN EC PRIVATE KEY-----/.test(pem)) {
    return "is a SEC1 EC key (BEGIN EC PRIVATE KEY); paste the .p8 file Apple gave you, which is PKCS#8 (BEGIN PRIVATE KEY)";
  }
  if (!/^-----BEGIN PRIVATE KEY-----\s[\s\S]+\s-----END PRIVATE KEY-----$/.test(pem)) {
    return "is not a PEM private key: it must start with -----BEGIN PRIVATE KEY----- and end with -----END PRIVATE KEY----- (the whole .p8 file)";
  }
  const key = privateKey(pem);
  if (typeof key === "string") return `does not parse as a private key (${key})`;
  if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
    const what = key.asymmetricKeyType === "ec" ? `an EC key on ${key.asymmetricKeyDetails?.namedCurve}` : `a ${key.asymmetricKeyType} key`;
    return `is ${what}, not a P-256 (ES256) key: use the .p8 key Apple issued for DeviceCheck`;
  }
  return undefined;
}

function checkGoogleServiceAccount(value: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (err) {
    const hint = /control character|Bad control/i.test(String(err)) || /"private_key":\s*"-----BEGIN[^"]*\n/.test(value)
      ? " (its \\n escapes became real line breaks: in .env put the JSON in single quotes, which keep them as written)"
      : "";
    return `is not valid JSON${hint}`;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return "is JSON but not an object: paste the whole key file";
  const account = parsed as Record<string, unknown>;
  if (account.type !== undefined && account.type !== "service_account") {
    return `is a "${String(account.type)}" credential, not a service account key ("type": "service_account")`;
  }
  if (typeof account.client_email !== "string" || !EMAIL.test(account.client_email)) {
    return "has no client_email: paste the whole key file, not a part of it";
  }
  if (typeof account.private_key !== "string") return "has no private_key: paste the whole key file, not a part of it";
  const key = privateKey(account.private_key);
  if (typeof key === "string") return `has a private_key that does not parse (${key})`;
  if (key.asymmetricKeyType !== "rsa") return `has a ${key.asymmetricKeyType} private_key; Google service-account keys are RSA`;
  return undefined;
}

function checkSentryDsn(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "is not a URL; a DSN looks like https://<key>@o123.ingest.sentry.io/456";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "must be an https:// URL";
  if (!url.username) return "has no public key before the @ (https://<key>@host/<project id>)";
  if (!/^\/(?:.*\/)?\d+$/.test(url.pathname)) return "does not end with the numeric project id (https://<key>@host/<project id>)";
  return undefined;
}

function checkUrl(value: string): string | undefined {
  try {
    const url = new URL(value);
    if (url.protocol !== "https:" && url.protocol !== "http:") return "must be an http(s):// URL";
  } catch {
    return "is not a URL";
  }
  return undefined;
}

/** What is wrong with `value` (never quoting it), or undefined when it is well-formed. */
export function checkValue(check: SecretCheck | undefined, value: string, ctx: CheckContext): string | undefined {
  if (value.trim() !== value) return "has spaces or line breaks around it; remove them";
  switch (check?.kind ?? "text") {
    case "text":
      return undefined;
    case "pattern": {
      const c = check as Extract<SecretCheck, { kind: "pattern" }>;
      return c.pattern.test(value) ? undefined : `does not look right: expected ${c.expect}`;
    }
    case "random": {
      const c = check as Extract<SecretCheck, { kind: "random" }>;
      if (value.length < c.minLength) return `is too short (${value.length} characters): use at least ${c.minLength} random characters`;
      if (new Set(value).size < 8) return "is not random enough: use a random string, e.g. `openssl rand -hex 32`";
      return undefined;
    }
    case "url":
      return checkUrl(value);
    case "email":
      return EMAIL.test(value) ? undefined : "is not an email address";
    case "int": {
      const c = check as Extract<SecretCheck, { kind: "int" }>;
      return /^\d+$/.test(value) && Number(value) >= c.min ? undefined : `must be a whole number >= ${c.min}`;
    }
    case "bool":
      return value === "true" || value === "false" ? undefined : "must be true or false";
    case "oneOf": {
      const c = check as Extract<SecretCheck, { kind: "oneOf" }>;
      return c.values.includes(value) ? undefined : `must be one of ${c.values.join(", ")}`;
    }
    case "p8":
      return checkP8(value);
    case "googleServiceAccount":
      return checkGoogleServiceAccount(value);
    case "sentryDsn":
      return checkSentryDsn(value);
    case "option": {
      const c = check as Extract<SecretCheck, { kind: "option" }>;
      const expected = ctx.options[c.option];
      const flag = c.option === "bundleId" ? "--bundle-id" : "--android-package";
      return value === expected
        ? undefined
        : `is not ${expected}, the ${flag} this backend was generated with (video-backend.json); if the app's id changed, regenerate with the new ${flag}`;
    }
  }
}
