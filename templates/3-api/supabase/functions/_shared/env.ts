/**
 * Environment access. Every external base URL goes through `envOr` with the
 * real URL as the fallback, so tests (and staging) can point it at a fake.
 */

/** A required setting; throws a clear error naming it when it is missing. */
export function env(name: string): string {
  const value = Deno.env.get(name);
  if (value === undefined || value === "") {
    throw new Error(`Missing environment variable ${name} (see .env.example).`);
  }
  return value;
}

/** An optional setting with its default. An empty value counts as unset. */
export function envOr(name: string, fallback: string): string {
  const value = Deno.env.get(name);
  return value === undefined || value === "" ? fallback : value;
}

/** A positive integer setting (timeouts, limits) with its default. */
export function envInt(name: string, fallback: number): number {
  const raw = Deno.env.get(name);
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`Environment variable ${name} must be a positive integer, got "${raw}".`);
  }
  return value;
}

/** A base URL without its trailing slash, so callers can append `/path`. */
export function baseUrl(name: string, fallback: string): string {
  return envOr(name, fallback).replace(/\/+$/, "");
}

/** A comma-separated list setting ("a.example, *.b.example"), trimmed, empties dropped. */
export function listOf(value: string): string[] {
  return value.split(",").map((item) => item.trim()).filter((item) => item !== "");
}
