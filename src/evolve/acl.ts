/**
 * Privileges compared from the catalogs, not through migra: migra's
 * `--with-privileges` misses column grants, function EXECUTE grants and
 * default privileges, and a grant lost there is either an app that stops
 * working or — worse — a table the anon key can read. Every ACL of every
 * object in the project's schemas (tables, views, sequences, columns,
 * functions, the schemas themselves, default privileges) is read as
 * (object, grantee, privilege, grantable) and the difference becomes
 * GRANT/REVOKE statements. The owner's own rights are left out (ownership is
 * not part of the contract; everything is owned by the migration role).
 */
import { withClient } from "../verify/postgres.js";

interface Grant {
  kind: "table" | "sequence" | "function" | "schema" | "column" | "default";
  /** How the statement names the object (`public.t`, `public.f(int)`, `public.t (col)`, …). */
  object: string;
  grantee: string;
  privilege: string;
  grantable: boolean;
  /** The owner's own right (kept only to know the object exists). */
  ownerGrant?: boolean;
}

const key = (g: Grant) => `${g.kind}|${g.object}|${g.grantee}|${g.privilege}|${g.grantable}`;

async function grantsOf(url: string, exclude: string[]): Promise<Grant[]> {
  return withClient(url, async (c) => {
    const rows = (await c.query<Grant>(
      `with owned as (select oid, nspname from pg_namespace
                       where nspname not like 'pg\\_%' and nspname <> 'information_schema' and not (nspname = any($1::text[]))),
       rel as (
         select case c.relkind when 'S' then 'sequence' else 'table' end as kind,
                format('%I.%I', o.nspname, c.relname) as object, c.relowner as owner,
                coalesce(c.relacl, acldefault(case c.relkind when 'S' then 's'::"char" else 'r'::"char" end, c.relowner)) as acl
           from pg_class c join owned o on o.oid = c.relnamespace where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
       ),
       col as (
         select 'column' as kind, format('%I.%I (%I)', o.nspname, c.relname, a.attname) as object, c.relowner as owner, a.attacl as acl
           from pg_attribute a join pg_class c on c.oid = a.attrelid join owned o on o.oid = c.relnamespace
          where a.attacl is not null and a.attnum > 0 and not a.attisdropped
       ),
       fn as (
         select 'function' as kind, format('%I.%I(%s)', o.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) as object,
                p.proowner as owner, coalesce(p.proacl, acldefault('f', p.proowner)) as acl
           from pg_proc p join owned o on o.oid = p.pronamespace
          where not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
       ),
       sch as (
         select 'schema' as kind, format('%I', n.nspname) as object, n.nspowner as owner, coalesce(n.nspacl, acldefault('n', n.nspowner)) as acl
           from pg_namespace n join owned o on o.oid = n.oid
       ),
       def as (
         select 'default' as kind,
                format('for role %I%s %s', d.defaclrole::regrole::text,
                       case when d.defaclnamespace = 0 then '' else format(' in schema %I', (select nspname from pg_namespace where oid = d.defaclnamespace)) end,
                       case d.defaclobjtype when 'r' then 'tables' when 'S' then 'sequences' when 'f' then 'functions' when 'T' then 'types' when 'n' then 'schemas' end) as object,
                0::oid as owner, d.defaclacl as acl
           from pg_default_acl d
          where d.defaclnamespace = 0 or d.defaclnamespace in (select oid from owned)
       ),
       everything as (select * from rel union all select * from col union all select * from fn union all select * from sch union all select * from def)
       select e.kind, e.object,
              case when a.grantee = 0 then 'public' else a.grantee::regrole::text end as grantee,
              a.privilege_type as privilege, a.is_grantable as grantable,
              (e.kind <> 'default' and a.grantee = e.owner) as "ownerGrant"
         from everything e, aclexplode(e.acl) a`,
      [exclude],
    )).rows;
    return rows;
  });
}

function statement(g: Grant, grant: boolean): string {
  const p = g.privilege.toLowerCase();
  const verb = grant ? "grant" : "revoke";
  const to = grant ? "to" : "from";
  const option = grant && g.grantable ? " with grant option" : "";
  switch (g.kind) {
    case "column": {
      const m = /^(.*) \((.*)\)$/.exec(g.object)!;
      return `${verb} ${p} (${m[2]}) on table ${m[1]} ${to} ${g.grantee}${option};`;
    }
    case "default": {
      const m = /^(for role \S+(?: in schema \S+)?) (\w+)$/.exec(g.object)!;
      return `alter default privileges ${m[1]} ${verb} ${p} on ${m[2]} ${to} ${g.grantee}${option};`;
    }
    case "function":
      return `${verb} ${p} on function ${g.object} ${to} ${g.grantee}${option};`;
    case "schema":
      return `${verb} ${p} on schema ${g.object} ${to} ${g.grantee}${option};`;
    case "sequence":
      return `${verb} ${p} on sequence ${g.object} ${to} ${g.grantee}${option};`;
    default:
      return `${verb} ${p} on table ${g.object} ${to} ${g.grantee}${option};`;
  }
}

/** GRANT/REVOKE statements that give `from` the privileges `to` has, on objects both have. */
export async function aclDelta(fromUrl: string, toUrl: string, exclude: string[]): Promise<string[]> {
  let [have, want] = await Promise.all([grantsOf(fromUrl, exclude), grantsOf(toUrl, exclude)]);
  const objects = (gs: Grant[]) => new Set(gs.map((g) => `${g.kind}|${g.object}`));
  const haveObjects = objects(have);
  const wantObjects = objects(want);
  // Columns and default privileges exist only through their grants: compare them all.
  const both = (g: Grant) => g.kind === "column" || g.kind === "default" || (haveObjects.has(`${g.kind}|${g.object}`) && wantObjects.has(`${g.kind}|${g.object}`));
  const haveKeys = new Set(have.map(key));
  const wantKeys = new Set(want.map(key));
  have = have.filter((g) => !g.ownerGrant);
  want = want.filter((g) => !g.ownerGrant);
  const revokes = have.filter((g) => both(g) && !wantKeys.has(key(g))).map((g) => statement(g, false));
  const grants = want.filter((g) => both(g) && !haveKeys.has(key(g))).map((g) => statement(g, true));
  return [...new Set([...revokes, ...grants])];
}
