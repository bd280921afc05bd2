/**
 * The Supabase platform, emulated on plain PostgreSQL: the roles, schemas,
 * functions and default privileges a hosted Supabase project has before the
 * first user migration runs. Sources and the reasoning behind each statement:
 * docs reference supabase.md §2.1–2.5 and §4.3–4.4.
 *
 * Kept as TypeScript strings (not a .sql file) because the CLI is bundled into
 * one file and `src/` is not published.
 */

export type Regime = "legacy" | "2026";

/**
 * Cluster-wide part: roles are shared by every database of a server, so this
 * is idempotent and safe to run once per database. Runs as a superuser that is
 * NOT `postgres` (on Supabase that is `supabase_admin`).
 */
export const ROLES_SQL = `
do $$
begin
  if not exists (select from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  if not exists (select from pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit;
  end if;
  if not exists (select from pg_roles where rolname = 'supabase_auth_admin') then
    create role supabase_auth_admin nologin noinherit createrole;
  end if;
  if not exists (select from pg_roles where rolname = 'supabase_storage_admin') then
    create role supabase_storage_admin nologin noinherit createrole;
  end if;
  -- pg_net's grants name it (Supabase's grant_pg_net_access creates it).
  if not exists (select from pg_roles where rolname = 'supabase_functions_admin') then
    create role supabase_functions_admin nologin noinherit createrole;
  end if;
  -- On Supabase, migrations run as postgres, which is NOT a superuser
  -- (10000000000000_demote-postgres.sql). A migration that needs superuser
  -- must fail here exactly as it would there.
  if not exists (select from pg_roles where rolname = 'postgres') then
    create role postgres nosuperuser createdb createrole login replication bypassrls;
  end if;
end
$$;

-- 20230529180330_alter_api_roles_for_inherit.sql made the API roles INHERIT.
alter role anon inherit;
alter role authenticated inherit;
alter role service_role inherit;
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';

grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to postgres;
-- Lets postgres create policies on storage.objects, as it can on Supabase.
grant supabase_storage_admin to postgres;
`;

/** Per-database part, run as the superuser inside the fresh database. */
export function databaseSql(regime: Regime, database: string): string {
  const db = quoteIdent(database);
  return `
alter database ${db} owner to postgres;
alter schema public owner to postgres;
-- Supabase puts extensions on the search path of every session.
alter database ${db} set search_path = "$user", public, extensions;
-- The database advisors (splinter) only look at schemas PostgREST exposes;
-- without this GUC every API-exposure lint silently reports nothing.
alter database ${db} set pgrst.db_schemas = 'public';

grant usage on schema public to postgres, anon, authenticated, service_role;

-- extensions -----------------------------------------------------------------
create schema if not exists extensions;
grant usage on schema extensions to postgres, anon, authenticated, service_role;
grant create on schema extensions to postgres;
create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists pgcrypto with schema extensions;

-- auth -----------------------------------------------------------------------
create schema if not exists auth authorization current_user;
grant all on schema auth to supabase_auth_admin;
grant usage on schema auth to postgres, anon, authenticated, service_role;

create table auth.users (
  instance_id uuid,
  id uuid not null primary key,
  aud varchar(255),
  role varchar(255),
  email varchar(255),
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  invited_at timestamptz,
  confirmation_token varchar(255),
  confirmation_sent_at timestamptz,
  recovery_token varchar(255),
  recovery_sent_at timestamptz,
  email_change_token_new varchar(255),
  email_change varchar(255),
  email_change_sent_at timestamptz,
  last_sign_in_at timestamptz,
  raw_app_meta_data jsonb,
  raw_user_meta_data jsonb,
  is_super_admin boolean,
  created_at timestamptz,
  updated_at timestamptz,
  phone text unique default null,
  phone_confirmed_at timestamptz,
  phone_change text default '',
  phone_change_token varchar(255) default '',
  phone_change_sent_at timestamptz,
  confirmed_at timestamptz generated always as (least(email_confirmed_at, phone_confirmed_at)) stored,
  email_change_token_current varchar(255) default '',
  email_change_confirm_status smallint default 0,
  banned_until timestamptz,
  reauthentication_token varchar(255) default '',
  reauthentication_sent_at timestamptz,
  is_sso_user boolean not null default false,
  deleted_at timestamptz,
  is_anonymous boolean not null default false
);
create index users_is_anonymous_idx on auth.users using btree (is_anonymous);
alter table auth.users owner to supabase_auth_admin;
alter table auth.users enable row level security;
-- As on Supabase: postgres (and dashboard_user) get all on auth's tables, so
-- triggers, foreign keys and test fixtures work; the API roles get nothing.
grant all on auth.users to postgres with grant option;

-- supabase/auth 20220224000811_update_auth_functions.up.sql
create or replace function auth.uid() returns uuid language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;
create or replace function auth.role() returns text language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;
create or replace function auth.email() returns text language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;
-- supabase/auth 20220531120530_add_auth_jwt_function.up.sql
create or replace function auth.jwt() returns jsonb language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;
alter function auth.uid() owner to supabase_auth_admin;
alter function auth.role() owner to supabase_auth_admin;
alter function auth.email() owner to supabase_auth_admin;
alter function auth.jwt() owner to supabase_auth_admin;

-- storage (just enough for a private bucket and owner-read policies) ---------
create schema if not exists storage authorization supabase_storage_admin;
grant usage on schema storage to postgres, anon, authenticated, service_role;

create table storage.buckets (
  id text not null primary key,
  name text not null unique,
  owner uuid,
  owner_id text,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  public boolean default false,
  avif_autodetection boolean default false,
  file_size_limit bigint,
  allowed_mime_types text[]
);
create table storage.objects (
  id uuid not null default gen_random_uuid() primary key,
  bucket_id text references storage.buckets (id),
  name text,
  owner uuid,
  owner_id text,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  last_accessed_at timestamptz default now(),
  metadata jsonb,
  path_tokens text[] generated always as (string_to_array(name, '/')) stored,
  version text,
  user_metadata jsonb
);
create unique index bucketid_objname on storage.objects (bucket_id, name);
alter table storage.buckets owner to supabase_storage_admin;
alter table storage.objects owner to supabase_storage_admin;
alter table storage.buckets enable row level security;
alter table storage.objects enable row level security;
grant all on storage.buckets, storage.objects to postgres, service_role;
grant all on storage.buckets, storage.objects to anon, authenticated;

create or replace function storage.foldername(name text) returns text[] language plpgsql as $$
declare
  _parts text[];
begin
  select string_to_array(name, '/') into _parts;
  return _parts[1:array_length(_parts, 1) - 1];
end
$$;
create or replace function storage.filename(name text) returns text language plpgsql as $$
declare
  _parts text[];
begin
  select string_to_array(name, '/') into _parts;
  return _parts[array_length(_parts, 1)];
end
$$;
create or replace function storage.extension(name text) returns text language plpgsql as $$
declare
  _parts text[];
  _filename text;
begin
  select string_to_array(name, '/') into _parts;
  select _parts[array_length(_parts, 1)] into _filename;
  return reverse(split_part(reverse(_filename), '.', 1));
end
$$;
alter function storage.foldername(text) owner to supabase_storage_admin;
alter function storage.filename(text) owner to supabase_storage_admin;
alter function storage.extension(text) owner to supabase_storage_admin;

${EXTENSION_HOOKS_SQL}
-- Vault is installed on every Supabase project, with these grants
-- (supabase/postgres migrations/db/migrations/20221207154255_create_vault.sql).
do $vault$
begin
  if exists (select from pg_available_extensions where name = 'supabase_vault') then
    create extension if not exists supabase_vault;
    grant usage on schema vault to postgres with grant option;
    grant select, delete on vault.secrets, vault.decrypted_secrets to postgres with grant option;
    grant execute on function vault.create_secret, vault.update_secret, vault._crypto_aead_det_decrypt to postgres with grant option;
  end if;
end
$vault$;

-- default privileges, as Supabase sets them ------------------------------------
alter default privileges for role postgres in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on sequences to anon, authenticated, service_role;
alter default privileges for role current_user in schema public grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role current_user in schema public grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role current_user in schema public grant all on sequences to postgres, anon, authenticated, service_role;
${regime === "2026" ? REVOKE_DEFAULT_DATA_API_PRIVILEGES_SQL : "-- legacy regime: new objects in public are exposed to the Data API roles."}
`;
}

/**
 * What happens on Supabase when role postgres runs `create extension pg_cron`
 * (or pg_net): supautils runs the CREATE EXTENSION of a "privileged
 * extension" as the superuser, so the extension belongs to supabase_admin,
 * and event triggers then grant postgres what it may use of it
 * (supabase/postgres: extensions.grant_pg_cron_access as of
 * 20260730000000_revoke_trigger_on_cron_tables_from_postgres.sql,
 * extensions.grant_pg_net_access as of 20250220051611_pg_net_perms_fix.sql).
 *
 * Here the extensions' control files are `trusted` (their scripts run as the
 * bootstrap superuser, supabase_admin), and these event triggers are
 * SECURITY DEFINER: they stand in for supautils' switch to the superuser,
 * without which postgres could not grant on objects it does not own. The
 * first one hands the extension itself to supabase_admin, as on Supabase; the
 * real pg_cron inserts its jobs as the extension's owner.
 */
const EXTENSION_HOOKS_SQL = `
create or replace function extensions.verify_supautils_extension_owner() returns event_trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_ext oid;
begin
  for v_ext in
    select e.oid from pg_catalog.pg_event_trigger_ddl_commands() ev
    join pg_catalog.pg_extension e on ev.objid = e.oid
    where ev.classid = 'pg_catalog.pg_extension'::regclass
      and e.extname in ('pg_cron', 'pg_net', 'supabase_vault')
      and e.extowner <> (select r.oid from pg_catalog.pg_roles r where r.rolname = current_user)
  loop
    update pg_catalog.pg_extension set extowner = (select r.oid from pg_catalog.pg_roles r where r.rolname = current_user)
    where oid = v_ext;
    delete from pg_catalog.pg_shdepend
    where classid = 'pg_catalog.pg_extension'::regclass and objid = v_ext and deptype = 'o';
  end loop;
end
$$;
create event trigger a_verify_supautils_extension_owner on ddl_command_end when tag in ('CREATE EXTENSION')
execute function extensions.verify_supautils_extension_owner();

create or replace function extensions.grant_pg_cron_access() returns event_trigger
language plpgsql security definer set search_path = '' as $$
begin
  if exists (
    select from pg_catalog.pg_event_trigger_ddl_commands() ev
    join pg_catalog.pg_extension e on ev.objid = e.oid
    where e.extname = 'pg_cron'
  ) then
    grant usage on schema cron to postgres with grant option;
    alter default privileges in schema cron grant all on tables to postgres with grant option;
    alter default privileges in schema cron grant all on functions to postgres with grant option;
    alter default privileges in schema cron grant all on sequences to postgres with grant option;
    grant all privileges on all tables in schema cron to postgres with grant option;
    revoke all on table cron.job from postgres;
    grant select on table cron.job to postgres with grant option;
    revoke trigger on cron.job_run_details from postgres;
  end if;
end
$$;
create event trigger issue_pg_cron_access on ddl_command_end when tag in ('CREATE EXTENSION')
execute function extensions.grant_pg_cron_access();

create or replace function extensions.grant_pg_net_access() returns event_trigger
language plpgsql security definer set search_path = '' as $$
begin
  if exists (
    select from pg_catalog.pg_event_trigger_ddl_commands() ev
    join pg_catalog.pg_extension e on ev.objid = e.oid
    where e.extname = 'pg_net'
  ) then
    grant usage on schema net to supabase_functions_admin, postgres, anon, authenticated, service_role;
  end if;
end
$$;
create event trigger issue_pg_net_access on ddl_command_end when tag in ('CREATE EXTENSION')
execute function extensions.grant_pg_net_access();
`;

/**
 * RevokeDefaultDataApiPrivilegesSql of the Supabase CLI (internal/db/start):
 * the "tables not exposed to the Data API by default" mode, the default for
 * new projects from 2026-05-30 and for all projects from 2026-10-30.
 * EXECUTE stays granted to PUBLIC, as on the platform.
 */
export const REVOKE_DEFAULT_DATA_API_PRIVILEGES_SQL = `
alter default privileges for role postgres in schema public revoke select, insert, update, delete on tables from anon, authenticated, service_role;
alter default privileges for role postgres in schema public revoke usage, select on sequences from anon, authenticated, service_role;
alter default privileges for role postgres in schema public revoke execute on functions from anon, authenticated, service_role;
`;

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
