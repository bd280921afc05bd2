/**
 * Nothing deploy prints may contain a secret value: not its own lines, not the
 * Supabase CLI output it relays (an SQL error can quote the statement, an HTTP
 * error the request). Every line goes through a redactor built from the values
 * deploy knows, in the forms they could be printed in.
 */

/** Shorter values are settings (true, 120, Production), not secrets. */
const MIN_LENGTH = 6;

export type Redactor = (text: string) => string;

export function redactor(secrets: Iterable<string>): Redactor {
  const needles = new Set<string>();
  const add = (s: string) => {
    if (s.trim().length >= MIN_LENGTH) needles.add(s);
  };
  for (const value of secrets) {
    add(value);
    add(JSON.stringify(value).slice(1, -1)); // as quoted inside JSON or an error message
    add(value.replaceAll("'", "''")); // as an SQL literal
    add(encodeURIComponent(value)); // inside a URL
    // A multi-line value (a PEM) can be printed one line at a time: hide each line
    // except the armour lines, which are the same in every key.
    for (const line of value.split(/\r?\n|\\n/)) {
      if (!/^-----(BEGIN|END) /.test(line.trim())) add(line.trim());
    }
  }
  // Longest first, so a value is hidden whole before any part of it.
  const ordered = [...needles].sort((a, b) => b.length - a.length);
  return (text: string) => {
    let out = text;
    for (const n of ordered) if (out.includes(n)) out = out.split(n).join("***");
    return out;
  };
}

/** postgresql://user:password@host/db → postgresql://user:***@host/db */
export function redactUrlPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");
  }
}

/** The password of a connection URL, decoded, for the redactor. */
export function urlPassword(url: string | undefined): string[] {
  if (!url) return [];
  try {
    const p = new URL(url).password;
    return p ? [p, decodeURIComponent(p)] : [];
  } catch {
    return [];
  }
}
