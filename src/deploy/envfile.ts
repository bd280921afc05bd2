/**
 * The env file deploy hands to `supabase secrets set --env-file`: only the
 * names being set, each quoted so the CLI's parser (dotenv, the same as ours)
 * reads back exactly the value. Every value is checked by parsing the file
 * back before the CLI sees it.
 *
 * dotenv's rules: single quotes and backticks keep the value as written (line
 * breaks included); double quotes turn \n and \r into line breaks. So a value
 * goes in single quotes, or backticks if it holds a single quote, or double
 * quotes if it holds both and no backslash sequence dotenv would expand.
 */
import { parse } from "dotenv";

export class EnvFileError extends Error {}

function quote(name: string, value: string): string {
  // A value ending in a backslash could swallow the closing quote.
  if (!value.endsWith("\\")) {
    if (!value.includes("'")) return `'${value}'`;
    if (!value.includes("`")) return `\`${value}\``;
  }
  if (!value.includes('"') && !/\\[nr]/.test(value) && !value.endsWith("\\")) return `"${value}"`;
  throw new EnvFileError(`${name}: its value holds quotes or backslashes that the Supabase CLI's .env format cannot carry; set it by hand with \`supabase secrets set\``);
}

export function envFileText(values: ReadonlyMap<string, string>): string {
  const text = [...values].map(([name, value]) => `${name}=${quote(name, value)}\n`).join("");
  const back = parse(text);
  for (const [name, value] of values) {
    if (back[name] !== value) {
      throw new EnvFileError(`${name}: its value does not survive the Supabase CLI's .env format; set it by hand with \`supabase secrets set\``);
    }
  }
  if (Object.keys(back).length !== values.size) throw new EnvFileError("the secrets file does not parse back to the same names");
  return text;
}
