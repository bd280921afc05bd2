/**
 * The Vault secrets the schedules read (`project_url`, `cron_secret`; see the
 * poll_jobs_schedule migration), created or updated by one SQL script run
 * with `supabase db query`. The script compares before it writes, so a
 * second deploy changes nothing, and it returns only names and what happened
 * to them, never a value.
 */

function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export interface VaultSecret {
  name: string;
  value: string;
  description: string;
}

/**
 * One statement (`supabase db query` runs a single prepared statement): each
 * secret is created when absent, updated when different, else left alone.
 * The CASE branches call Vault only when taken.
 */
export function vaultSql(secrets: VaultSecret[]): string {
  const rows = secrets
    .map((s, i) => `(${i + 1}, ${literal(s.name)}, ${literal(s.value)}, ${literal(s.description)})`)
    .join(",\n    ");
  // The rows come back in the order asked (the join alone promises no order).
  return `with wanted (ord, name, secret, description) as (
  values
    ${rows}
), current_secrets as (
  select w.ord, w.name, w.secret, w.description, d.id, d.decrypted_secret
  from wanted w left join vault.decrypted_secrets d on d.name = w.name
)
select c.name,
  case
    when c.id is null then
      case when vault.create_secret(c.secret, c.name, c.description) is not null then 'created' end
    when c.decrypted_secret is distinct from c.secret then
      coalesce(vault.update_secret(c.id, c.secret)::text, '') || 'updated'
    else 'unchanged'
  end as action
from current_secrets c
order by c.ord
`;
}
