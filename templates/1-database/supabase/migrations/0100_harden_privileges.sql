-- Layer 1, step 1: nothing we create later is callable or readable by accident.
--
-- PostgreSQL grants EXECUTE on every new function to PUBLIC, and Supabase's
-- legacy default privileges also grant ALL on new tables, sequences and
-- functions in `public` to anon, authenticated and service_role. Every object
-- below therefore gets explicit, minimal grants; these default-privilege
-- revokes make sure a function added later (by you) is not executable by
-- `anon` through PUBLIC before you decide otherwise.
alter default privileges for role postgres revoke execute on functions from public;
alter default privileges for role postgres in schema public revoke execute on functions from anon, authenticated;

-- Internal tables and helper functions live in `private`, a schema PostgREST
-- does not expose: the Data API cannot reach it whatever the grants.
create schema if not exists private;
revoke all on schema private from public;
revoke all on schema private from anon, authenticated, service_role;

-- Keeps updated_at honest on every table that has one.
create or replace function private.set_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end;
$$;
revoke all on function private.set_updated_at() from public, anon, authenticated, service_role;
