/**
 * Stands in for the `yaml` package in the bundle (tsup.config.ts aliases it):
 * @seriousme/openapi-schema-validator imports it to read YAML documents, but
 * verify only ever hands it parsed JSON, and yaml would add ~250 kB to dist.
 */
export function parse(): never {
  throw new Error("YAML input is not supported here: verify reads openapi.json");
}
