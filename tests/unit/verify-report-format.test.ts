import { describe, expect, it } from "vitest";
import { formatMs, summary } from "../../src/verify/report.js";

describe("verify's durations are rounded", () => {
  it("formatMs", () => {
    expect(formatMs(1.3267060000000015)).toBe("1ms");
    expect(formatMs(0.4)).toBe("0ms");
    expect(formatMs(999.6)).toBe("1.0s");
    expect(formatMs(12_345.678)).toBe("12.3s");
  });
  it("the summary line", () => {
    const line = summary([{ name: "x", status: "pass", ms: 1 }], false, 1.3267060000000015).line;
    expect(line).toBe("verify passed: 1 passed, 0 failed in 1ms");
  });
});
