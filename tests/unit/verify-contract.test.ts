/**
 * verify's contract check on hand-made records against a generated
 * openapi.json: each kind of broken answer fails, naming endpoint, method and
 * status; declared answers pass. (verify-fixtures runs it end to end.)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { withDefaults } from "../../src/options.js";
import { openApiText } from "../../src/openapi.js";
import { buildContext } from "../../src/plan.js";
import { checkContract } from "../../src/verify/contract.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cvb-contract-unit-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const options = withDefaults({ auth: ["anonymous"], iap: [], providers: ["fal"] } as never, {}, "npm");
fs.writeFileSync(path.join(dir, "openapi.json"), openApiText(buildContext("x", options, { name: "create-video-backend", version: "0" }, new Date(0))));

const JOB = {
  id: "6f1c2a9e-3b7d-4c55-9a0e-2d8b7f41c3a1",
  model_id: "fal-ai/minimax/video-01",
  provider: "fal",
  status: "submitted",
  input: { prompt: "a boat" },
  credits_charged: 15,
  video_url: null,
  error_code: null,
  error: null,
  created_at: "2026-01-01T12:00:00.123456+00:00",
  updated_at: "2026-01-01T12:00:00.000Z",
};
const json = (endpoint: string, method: string, status: number, body: unknown, headers: Record<string, string> = {}) => ({
  endpoint,
  method,
  status,
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
  test: "tests/some_test.ts:12",
});
const error = (code: string) => ({ error: { code, message: "m" } });
/** One declared answer of each app operation, so coverage is complete. */
const DECLARED = [
  json("generate-video", "POST", 202, { job: JOB }),
  json("job-status", "GET", 200, { job: { ...JOB, status: "succeeded", video_url: "https://x.test/v.mp4" } }),
  json("health", "GET", 200, { ok: true }, { "cache-control": "no-store" }),
];

function check(records: object[]) {
  const file = path.join(dir, `records-${Math.random()}.jsonl`);
  fs.writeFileSync(file, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
  return checkContract(dir, file);
}

describe("the contract check", () => {
  it("passes declared answers: statuses, error codes, Retry-After, a refused method, a preflight", () => {
    const outcome = check([
      ...DECLARED,
      json("generate-video", "POST", 429, error("rate_limited"), { "retry-after": "30" }),
      json("generate-video", "POST", 409, error("idempotency_conflict")),
      json("generate-video", "DELETE", 405, error("method_not_allowed")),
      { endpoint: "generate-video", method: "OPTIONS", status: 204, headers: {}, body: "" },
      { endpoint: "health", method: "HEAD", status: 503, headers: { "cache-control": "no-store" }, body: "" },
    ]);
    expect(outcome).toMatchObject({ status: "pass" });
    expect(outcome.detail).toMatch(/^8 answers of 3 app operations conform/);
  });

  it.each([
    ["an undeclared field", json("job-status", "GET", 200, { job: { ...JOB, provider_job_id: "req-1" } }), /job-status GET answered 200: the body does not match openapi.json: \/job has the undeclared field "provider_job_id"/],
    ["an undeclared status", json("generate-video", "POST", 201, { job: JOB }), /generate-video POST answered 201: status 201 is not declared for POST \/generate-video \(declared: 200, 202, 400/],
    ["an error code the status does not declare", json("generate-video", "POST", 404, error("job_not_found")), /generate-video POST answered 404: .*\/error\/code must be equal to one of the allowed values: "model_not_found"/],
    ["a job status outside the enum", json("job-status", "GET", 200, { job: { ...JOB, status: "done" } }), /\/job\/status must be equal to one of the allowed values/],
    ["a missing required header", json("health", "GET", 200, { ok: true }), /health GET answered 200: the required header Cache-Control is missing/],
    ["a body that is not JSON", { ...json("job-status", "GET", 404, {}), body: "not json" }, /job-status GET answered 404: the body is not JSON/],
    ["an undeclared method answered", json("job-status", "POST", 200, { job: JOB }), /job-status POST answered 200: POST is not an operation of \/job-status/],
    ["an endpoint not in the document", json("secret-admin", "GET", 200, {}), /secret-admin GET answered 200: openapi.json has no path \/secret-admin/],
  ])("fails %s, naming endpoint, method, status and test", (_, record, message) => {
    const outcome = check([...DECLARED, record]);
    expect(outcome.status).toBe("fail");
    expect(outcome.detail).toMatch(message);
    expect(outcome.detail).toContain("at tests/some_test.ts:12");
  });

  it("fails when an app operation was never exercised, unless the tests failed", () => {
    const records = DECLARED.filter((r) => r.endpoint !== "health");
    const outcome = check(records);
    expect(outcome).toMatchObject({ status: "fail", detail: expect.stringMatching(/no test exercised GET \/health/) });
    const file = path.join(dir, "partial.jsonl");
    fs.writeFileSync(file, records.map((r) => JSON.stringify(r)).join("\n"));
    expect(checkContract(dir, file, { complete: false })).toMatchObject({ status: "pass", detail: expect.stringMatching(/deno test failed/) });
  });
});
