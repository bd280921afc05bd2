import { describe, expect, it } from "vitest";
import { failureReport } from "../../src/verify/deno.js";

describe("deno test failure report", () => {
  it("starts at Deno's ERRORS section, past the passing tests' logs", () => {
    const out = [
      "running 3 tests from ./tests/a_test.ts",
      'noisy log line {"level":"warn"}',
      "passes ... ok (2ms)",
      "fails ... FAILED (3ms)",
      "",
      " ERRORS ",
      "",
      "fails => ./tests/a_test.ts:9:6",
      "error: AssertionError: Expected values to be strictly equal: 500 !== 401",
      "",
      " FAILURES ",
      "",
      "fails => ./tests/a_test.ts:9:6",
      "",
      "FAILED | 1 passed | 1 failed (10ms)",
    ].join("\n");
    const report = failureReport(out);
    expect(report.startsWith(" ERRORS ")).toBe(true);
    expect(report).toContain("500 !== 401");
    expect(report).not.toContain("noisy log line");
  });

  it("keeps everything when there is no ERRORS section (e.g. a crash before the tests)", () => {
    expect(failureReport("error: Module not found")).toBe("error: Module not found");
  });
});
