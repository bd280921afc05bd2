import { describe, expect, it } from "vitest";
import { closest, editDistance, wrap } from "../../src/text.js";

describe("closest", () => {
  const flags = ["--auth", "--iap", "--providers", "--monitoring", "--pm", "--pg-major", "--yes", "--force"];
  it("finds the flag a typo meant", () => {
    expect(closest("--provider", flags)).toBe("--providers");
    expect(closest("--monitorin", flags)).toBe("--monitoring");
    expect(closest("--froce", flags)).toBe("--force");
    expect(closest("pnmp", ["npm", "pnpm", "yarn", "bun"])).toBe("pnpm");
  });
  it("guesses nothing when nothing is close, or the input is too short to tell", () => {
    expect(closest("--colour", flags)).toBeUndefined();
    expect(closest("-x", ["-y", "-h", "-v"])).toBeUndefined();
    expect(closest("sora", ["fal", "runway", "replicate"])).toBeUndefined();
  });
  it("counts a swap of neighbours as one edit", () => {
    expect(editDistance("pnmp", "pnpm")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
  });
});

describe("wrap", () => {
  it("keeps every line within the width, words whole, indentation kept", () => {
    const text = "--auth devicecheck needs anonymous: DeviceCheck gates the trial credits of guest accounts. Use --auth apple,anonymous,devicecheck or drop devicecheck.";
    const lines = wrap(`${text}\n  ${text}`, 40);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(40);
    expect(lines.join(" ").replace(/\s+/g, " ")).toBe(`${text} ${text}`);
    expect(lines.filter((l) => l.startsWith("  ")).length).toBeGreaterThan(1);
  });
  it("cuts a word longer than a line", () => {
    const lines = wrap(`x ${"a".repeat(50)} y`, 20);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(20);
    expect(lines.join("").replaceAll(" ", "")).toBe(`x${"a".repeat(50)}y`);
  });
});
