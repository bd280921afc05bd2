/** Apple DeviceCheck settings of this deployment, from the environment. */
import { baseUrl, env, envOr } from "../env.ts";
import { type DeviceCheckApi, deviceCheckClient } from "./client.ts";

/**
 * DEVICECHECK_API_URL wins; otherwise DEVICECHECK_DEVELOPMENT=true selects
 * Apple's development host (tokens from debug builds only work there).
 */
export function deviceCheckBaseUrl(): string {
  const development = envOr("DEVICECHECK_DEVELOPMENT", "false") === "true";
  return baseUrl(
    "DEVICECHECK_API_URL",
    development
      ? "https://api.development.devicecheck.apple.com"
      : "https://api.devicecheck.apple.com",
  );
}

export function deviceCheckFromEnv(): DeviceCheckApi {
  return deviceCheckClient({
    baseUrl: deviceCheckBaseUrl(),
    teamId: env("APPLE_TEAM_ID"),
    keyId: env("DEVICECHECK_KEY_ID"),
    privateKeyPem: env("DEVICECHECK_PRIVATE_KEY"),
  });
}
