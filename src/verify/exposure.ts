/**
 * Security checks the CLI's advisors miss. Supabase CLI 2.117.0 embeds an older
 * copy of the linter without lints 0028/0029 (SECURITY DEFINER functions
 * executable by anon / authenticated), and in the 2026 regime a table without
 * RLS is not reported while nothing is granted on it — one later GRANT away
 * from a leak. The generated backend promises both (CONTRACT §3, invariant 7),
 * so verify holds every project to them in both regimes.
 */
import { withClient } from "./postgres.js";
import { fail, type Outcome, pass } from "./report.js";

/** Schemas the Data API exposes; the platform emulation sets pgrst.db_schemas. */
const EXPOSED = `string_to_array(replace(coalesce(nullif(current_setting('pgrst.db_schemas', true), ''), 'public'), ' ', ''), ',')`;

const EXECUTABLE_DEFINERS = `
select format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) as object,
       array_remove(array[
         case when has_function_privilege('anon', p.oid, 'execute') then 'anon' end,
         case when has_function_privilege('authenticated', p.oid, 'execute') then 'authenticated' end
       ], null) as roles
from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
where p.prosecdef
  and n.nspname = any(${EXPOSED})
  -- A trigger function cannot be called through the API (or at all, directly).
  and p.prorettype not in ('trigger'::regtype, 'event_trigger'::regtype)
  and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
  and (has_function_privilege('anon', p.oid, 'execute') or has_function_privilege('authenticated', p.oid, 'execute'))
order by 1`;

const TABLES_WITHOUT_RLS = `
select format('%I.%I', n.nspname, c.relname) as object
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p')
  and not c.relrowsecurity
  and n.nspname = any(${EXPOSED})
  and not exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype = 'e')
order by 1`;

export async function checkExposure(url: string): Promise<Outcome> {
  return withClient(url, async (c) => {
    const problems: string[] = [];
    for (const row of (await c.query<{ object: string; roles: string[] }>(EXECUTABLE_DEFINERS)).rows) {
      problems.push(
        `security definer function ${row.object} is executable by ${row.roles.join(" and ")} ` +
          `(lint 0028/0029): revoke execute ... from public, anon, authenticated; grant to service_role`,
      );
    }
    for (const row of (await c.query<{ object: string }>(TABLES_WITHOUT_RLS)).rows) {
      problems.push(`table ${row.object} has row level security disabled: alter table ... enable row level security`);
    }
    return problems.length ? fail(problems.join("\n")) : pass();
  });
}
