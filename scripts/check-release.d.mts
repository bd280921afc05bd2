// Types for scripts/check-release.mjs, so the TypeScript tests can import it.
export declare const ALLOWED: RegExp[];
export declare const REQUIRED: string[];
export declare const MAX_PACKED_BYTES: number;
export declare const MAX_UNPACKED_BYTES: number;
export declare function changelogVersions(markdown: string): string[];
export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}
export declare function checkRelease(
  tarball: string,
  options: { tag?: string; repository?: string; tmp: string },
): CheckResult[];
