/**
 * The Supabase platform extensions the schedules use, for a server that does
 * not have them: pg_cron (SQL interface only), pg_net (requests queued, never
 * sent) and Supabase Vault. Each is a real PostgreSQL extension (a control
 * file and an install script written into the server's private
 * `share/extension`, see `overlayInstall`), so `pg_available_extensions` and
 * `pg_extension` list them and a migration's `create extension` runs exactly
 * as on Supabase.
 *
 * Fidelity: the tables, views, types, function names, argument names, types
 * and defaults are those of the versions Supabase runs (pg_cron 1.6, pg_net
 * 0.20, supabase_vault 0.3), as are the errors a migration can hit (invalid
 * schedule, unknown job, non-JSON content type, duplicate secret name) and the
 * grants. What is not emulated, by design: pg_cron's scheduler (verify runs
 * each job's command itself, as pg_cron would), pg_net's HTTP worker (a
 * request stays in `net.http_request_queue`, where pg_net queues it until
 * commit), and libsodium (Vault encrypts with a stream cipher built on the
 * core sha256(), authenticated, keyed by a per-database random key only the
 * superuser can read).
 *
 * Privileges, as on Supabase: the control files are `trusted`, so role
 * `postgres` may create them and their scripts run as the bootstrap superuser
 * (`supabase_admin`), the way supautils runs CREATE EXTENSION of its
 * "privileged extensions"; the platform's event triggers (platform-sql.ts)
 * then apply Supabase's grants.
 *
 * On PostgreSQL 15 with Debian's postgresql-15-cron, verify uses the REAL
 * pg_cron instead (its control file copied with `trusted = true` added).
 */
import fs from "node:fs";
import path from "node:path";

export const EMULATED = "emulated by create-video-backend verify";

export interface ExtensionFiles {
  control: string;
  /** `<name>--<version>.sql` → content. */
  scripts: Record<string, string>;
}

// ---------------------------------------------------------------------------
// pg_cron 1.6
// ---------------------------------------------------------------------------

const PG_CRON_SQL = String.raw`
-- pg_cron 1.6's SQL interface, ${EMULATED}: jobs are stored as pg_cron stores
-- them; no background worker runs them.
create schema cron;

create sequence cron.jobid_seq;
create table cron.job (
  jobid bigint primary key default pg_catalog.nextval('cron.jobid_seq'),
  schedule text not null,
  command text not null,
  nodename text not null default 'localhost',
  nodeport integer not null default pg_catalog.current_setting('port')::integer,
  database text not null default pg_catalog.current_database(),
  username text not null default current_user,
  active boolean not null default true,
  jobname text,
  constraint jobname_username_uniq unique (jobname, username)
);
grant select on cron.job to public;
alter table cron.job enable row level security;
create policy cron_job_policy on cron.job using (username operator(pg_catalog.=) current_user);

create sequence cron.runid_seq;
create table cron.job_run_details (
  jobid bigint,
  runid bigint primary key default pg_catalog.nextval('cron.runid_seq'),
  job_pid integer,
  database text,
  username text,
  command text,
  status text,
  return_message text,
  start_time timestamptz,
  end_time timestamptz
);
grant select, delete on cron.job_run_details to public;
alter table cron.job_run_details enable row level security;
create policy cron_job_run_details_policy on cron.job_run_details using (username operator(pg_catalog.=) current_user);
grant select on sequence cron.jobid_seq, cron.runid_seq to public;

select pg_catalog.pg_extension_config_dump('cron.job', '');
select pg_catalog.pg_extension_config_dump('cron.jobid_seq', '');
select pg_catalog.pg_extension_config_dump('cron.job_run_details', '');
select pg_catalog.pg_extension_config_dump('cron.runid_seq', '');

-- Who is calling. pg_cron (C) sees the current user; a SECURITY DEFINER
-- function sees its owner, so the caller is read from the session instead:
-- the active SET ROLE, else the session user (SET SESSION AUTHORIZATION
-- included). A SECURITY DEFINER function of another role that calls
-- cron.schedule is therefore attributed to the session, not to its owner.
create function cron._caller() returns text
language sql stable set search_path = '' as $$
  select case when pg_catalog.current_setting('role') operator(pg_catalog.=) 'none'
              then session_user::text
              else pg_catalog.current_setting('role') end
$$;

-- One field of a cron expression, read as pg_cron's (Vixie cron's) parser
-- reads it: a comma list of items, each * or n or n-m, optionally /step (n/step
-- alone is refused); numbers within the field's bounds; names (jan, mon) where
-- the field has them. Like that parser, it stops at the first character that
-- cannot continue the list and ignores the rest of the field ('1-2-3' is 1-2).
create function cron._field_is_valid(p_field text, p_low integer, p_high integer, p_names text[])
returns boolean
language plpgsql immutable set search_path = '' as $$
declare
  v_rest text := p_field;
  v_token text[];
  v_from integer;
  v_to integer;
  v_step integer;
begin
  loop
    if pg_catalog.left(v_rest, 1) operator(pg_catalog.=) '*' then
      v_from := p_low;
      v_to := p_high;
      v_rest := pg_catalog.substr(v_rest, 2);
    else
      v_token := pg_catalog.regexp_match(v_rest, '^([a-z0-9]+)(.*)$', 'i');
      v_from := cron._field_value(v_token[1], p_low, p_names);
      if v_from is null then
        return false;
      end if;
      v_rest := v_token[2];
      if pg_catalog.left(v_rest, 1) operator(pg_catalog.=) '-' then
        v_token := pg_catalog.regexp_match(pg_catalog.substr(v_rest, 2), '^([a-z0-9]+)(.*)$', 'i');
        v_to := cron._field_value(v_token[1], p_low, p_names);
        if v_to is null then
          return false;
        end if;
        v_rest := v_token[2];
      elsif pg_catalog.left(v_rest, 1) operator(pg_catalog.=) '/' then
        return false;
      else
        v_to := v_from;
      end if;
    end if;
    v_step := 1;
    if pg_catalog.left(v_rest, 1) operator(pg_catalog.=) '/' then
      v_token := pg_catalog.regexp_match(pg_catalog.substr(v_rest, 2), '^([0-9]{1,9})(.*)$');
      if v_token is null then
        return false;
      end if;
      v_step := v_token[1]::integer;
      v_rest := v_token[2];
    end if;
    if v_from < p_low or v_from > p_high or v_to < p_low or v_to > p_high or v_step < 1 or v_step > p_high then
      return false;
    end if;
    if pg_catalog.left(v_rest, 1) operator(pg_catalog.<>) ',' then
      return true;
    end if;
    v_rest := pg_catalog.substr(v_rest, 2);
  end loop;
end
$$;

-- A number, or the position of a name in the field's names (+ the field's low bound).
create function cron._field_value(p_token text, p_low integer, p_names text[])
returns integer
language sql immutable set search_path = '' as $$
  select coalesce(
    (select (n.i - 1 + p_low)::integer
     from pg_catalog.unnest(p_names) with ordinality as n (name, i)
     where pg_catalog.lower(n.name) operator(pg_catalog.=) pg_catalog.lower(p_token)
     order by n.i limit 1),
    case when p_token ~ '^[0-9]{1,9}$' then p_token::integer end
  )
$$;

-- pg_cron's schedule syntax: five cron fields (day of month may be $, the
-- last day), an @keyword, or '[1-59] seconds'.
create function cron._schedule_is_valid(p_schedule text) returns boolean
language plpgsql immutable set search_path = '' as $$
declare
  v_text text := pg_catalog.lower(pg_catalog.btrim(p_schedule, E' \t\n'));
  v_seconds text[] := pg_catalog.regexp_match(v_text, '^([0-9]{1,9}) +seconds?$');
  v_field text[];
begin
  if v_seconds is not null then
    return v_seconds[1]::integer between 1 and 59;
  end if;
  if pg_catalog.left(v_text, 1) operator(pg_catalog.=) '@' then
    return v_text in ('@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly', '@reboot', '@restart');
  end if;
  v_field := pg_catalog.regexp_split_to_array(v_text, '[ \t]+');
  if pg_catalog.cardinality(v_field) <> 5 then
    return false;
  end if;
  return cron._field_is_valid(v_field[1], 0, 59, null)
     and cron._field_is_valid(v_field[2], 0, 23, null)
     and (v_field[3] operator(pg_catalog.=) '$' or cron._field_is_valid(v_field[3], 1, 31, null))
     and cron._field_is_valid(v_field[4], 1, 12, array['jan','feb','mar','apr','may','jun','jul','aug','sep','oct','nov','dec'])
     and cron._field_is_valid(v_field[5], 0, 7, array['sun','mon','tue','wed','thu','fri','sat','sun']);
end
$$;

create function cron._schedule(
  p_job_name text, p_schedule text, p_command text, p_database text, p_username text, p_active boolean
) returns bigint
language plpgsql security definer set search_path = '' as $$
declare
  v_user text := cron._caller();
  v_database text := coalesce(p_database, pg_catalog.current_database());
  v_role record;
  v_jobid bigint;
begin
  if not cron._schedule_is_valid(p_schedule) then
    raise exception using
      errcode = 'invalid_parameter_value',
      message = pg_catalog.format('invalid schedule: %s', p_schedule),
      hint = 'Use cron format (e.g. 5 4 * * *), or interval format ''[1-59] seconds''';
  end if;
  if p_username is not null then
    if not coalesce((select r.rolsuper from pg_catalog.pg_roles r where r.rolname operator(pg_catalog.=) v_user), false) then
      raise exception 'must be superuser to create a job for another role';
    end if;
    select r.rolcanlogin into v_role from pg_catalog.pg_roles r where r.rolname operator(pg_catalog.=) p_username;
    if not found then
      raise exception 'role "%" does not exist', p_username;
    end if;
    if not v_role.rolcanlogin then
      raise exception using
        message = pg_catalog.format('role "%s" can not log in', p_username),
        detail = 'Jobs may only be run by roles that have the LOGIN attribute.';
    end if;
    v_user := p_username;
  end if;
  if not exists (select from pg_catalog.pg_database d where d.datname operator(pg_catalog.=) v_database) then
    raise exception using errcode = 'undefined_object', message = pg_catalog.format('database "%s" does not exist', v_database);
  end if;
  if not pg_catalog.has_database_privilege(v_user, v_database, 'CONNECT') then
    raise exception 'User % does not have CONNECT privilege on %', v_user, v_database;
  end if;
  insert into cron.job as j (schedule, command, nodename, nodeport, database, username, active, jobname)
  values (p_schedule, p_command, 'localhost', pg_catalog.current_setting('port')::integer, v_database, v_user, p_active, p_job_name)
  on conflict on constraint jobname_username_uniq do update
    set schedule = excluded.schedule, command = excluded.command, database = excluded.database
  returning j.jobid into v_jobid;
  return v_jobid;
end
$$;
revoke all on function cron._schedule(text, text, text, text, text, boolean) from public;

create function cron.schedule(schedule text, command text) returns bigint
language plpgsql strict security definer set search_path = '' as $$
begin
  return cron._schedule(null, schedule, command, null, null, true);
end
$$;
comment on function cron.schedule(text, text) is 'schedule a pg_cron job';

create function cron.schedule(job_name text, schedule text, command text) returns bigint
language plpgsql security definer set search_path = '' as $$
begin
  if job_name is null then raise exception 'job_name can not be NULL'; end if;
  if schedule is null then raise exception 'schedule can not be NULL'; end if;
  if command is null then raise exception 'command can not be NULL'; end if;
  return cron._schedule(job_name, schedule, command, null, null, true);
end
$$;
comment on function cron.schedule(text, text, text) is 'schedule a pg_cron job';

create function cron.schedule_in_database(
  job_name text, schedule text, command text, database text, username text default null, active boolean default 'true'
) returns bigint
language plpgsql security definer set search_path = '' as $$
begin
  if job_name is null then raise exception 'job_name can not be NULL'; end if;
  if schedule is null then raise exception 'schedule can not be NULL'; end if;
  if command is null then raise exception 'command can not be NULL'; end if;
  return cron._schedule(job_name, schedule, command, database, username, coalesce(active, true));
end
$$;
comment on function cron.schedule_in_database(text, text, text, text, text, boolean) is 'schedule a pg_cron job';
-- As pg_cron: the administrator decides who may schedule into another database.
revoke all on function cron.schedule_in_database(text, text, text, text, text, boolean) from public;

-- Removing another role's job needs DELETE on cron.job (pg_cron's rule).
create function cron._ensure_may_delete(p_owner text) returns void
language plpgsql stable set search_path = '' as $$
begin
  if p_owner operator(pg_catalog.<>) cron._caller()
     and not pg_catalog.has_table_privilege(cron._caller(), 'cron.job', 'DELETE') then
    raise exception using errcode = 'insufficient_privilege', message = 'permission denied for table job';
  end if;
end
$$;

create function cron.unschedule(job_id bigint) returns boolean
language plpgsql strict security definer set search_path = '' as $$
declare
  v_owner text;
begin
  select j.username into v_owner from cron.job j where j.jobid operator(pg_catalog.=) job_id;
  if not found then
    raise exception 'could not find valid entry for job %', job_id;
  end if;
  perform cron._ensure_may_delete(v_owner);
  delete from cron.job j where j.jobid operator(pg_catalog.=) job_id;
  return true;
end
$$;
comment on function cron.unschedule(bigint) is 'unschedule a pg_cron job';

create function cron.unschedule(job_name text) returns boolean
language plpgsql strict security definer set search_path = '' as $$
declare
  v_jobid bigint;
begin
  select j.jobid into v_jobid from cron.job j
  where j.jobname operator(pg_catalog.=) job_name and j.username operator(pg_catalog.=) cron._caller();
  if not found then
    raise exception 'could not find valid entry for job ''%''', job_name;
  end if;
  delete from cron.job j where j.jobid operator(pg_catalog.=) v_jobid;
  return true;
end
$$;
comment on function cron.unschedule(text) is 'unschedule a pg_cron job';

create function cron.alter_job(
  job_id bigint, schedule text default null, command text default null, database text default null,
  username text default null, active boolean default null
) returns void
language plpgsql security definer set search_path = '' as $$
declare
  v_job cron.job;
  v_super boolean := coalesce((select r.rolsuper from pg_catalog.pg_roles r where r.rolname operator(pg_catalog.=) cron._caller()), false);
begin
  if job_id is null then raise exception 'job_id can not be NULL'; end if;
  select * into v_job from cron.job j where j.jobid operator(pg_catalog.=) job_id;
  if not found or (not v_super and v_job.username operator(pg_catalog.<>) cron._caller()) then
    raise exception 'Job % does not exist or you don''t own it', job_id;
  end if;
  if username is not null and not v_super then
    raise exception 'must be superuser to alter username';
  end if;
  if schedule is not null and not cron._schedule_is_valid(schedule) then
    raise exception using
      errcode = 'invalid_parameter_value',
      message = pg_catalog.format('invalid schedule: %s', schedule),
      hint = 'Use cron format (e.g. 5 4 * * *), or interval format ''[1-59] seconds''';
  end if;
  update cron.job j set
    schedule = coalesce(alter_job.schedule, j.schedule),
    command = coalesce(alter_job.command, j.command),
    database = coalesce(alter_job.database, j.database),
    username = coalesce(alter_job.username, j.username),
    active = coalesce(alter_job.active, j.active)
  where j.jobid operator(pg_catalog.=) job_id;
end
$$;
comment on function cron.alter_job(bigint, text, text, text, text, boolean) is
  'Alter the job identified by job_id. Any option left as NULL will not be modified.';
revoke all on function cron.alter_job(bigint, text, text, text, text, boolean) from public;
`;

// ---------------------------------------------------------------------------
// pg_net 0.20
// ---------------------------------------------------------------------------

const PG_NET_SQL = String.raw`
-- pg_net 0.20's SQL interface, ${EMULATED}: requests are queued in
-- net.http_request_queue as pg_net queues them (its worker sends them after
-- commit); here nothing sends them, so no response ever arrives.
create schema if not exists net;

create domain net.http_method as text
  check (value ilike 'get' or value ilike 'post' or value ilike 'delete');

create unlogged table net.http_request_queue (
  id bigserial,
  method net.http_method not null,
  url text not null,
  headers jsonb,
  body bytea,
  timeout_milliseconds integer not null
);

create unlogged table net._http_response (
  id bigint,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out boolean,
  error_msg text,
  created timestamptz not null default pg_catalog.now()
);
create index on net._http_response (created);

create type net.request_status as enum ('PENDING', 'SUCCESS', 'ERROR');
create type net.http_response as (status_code integer, headers jsonb, body text);
create type net.http_response_result as (status net.request_status, message text, response net.http_response);

-- Percent-encodes everything but RFC 3986's unreserved characters.
create function net._urlencode_string(string varchar) returns text
language sql immutable set search_path = '' as $$
  select coalesce(pg_catalog.string_agg(
    case when b.v between 48 and 57 or b.v between 65 and 90 or b.v between 97 and 122 or b.v in (45, 46, 95, 126)
         then pg_catalog.chr(b.v)
         else '%' operator(pg_catalog.||) pg_catalog.upper(pg_catalog.lpad(pg_catalog.to_hex(b.v), 2, '0')) end,
    '' order by b.i), '')
  from (select pg_catalog.get_byte(pg_catalog.convert_to(string, 'UTF8'), i) as v, i
        from pg_catalog.generate_series(0, pg_catalog.octet_length(pg_catalog.convert_to(string, 'UTF8')) - 1) as i) as b
$$;

create function net._encode_url_with_params_array(url text, params_array text[]) returns text
language sql immutable set search_path = '' as $$
  select case when coalesce(pg_catalog.cardinality(params_array), 0) = 0 then url
              else url operator(pg_catalog.||) case when pg_catalog.strpos(url, '?') > 0 then '&' else '?' end
                   operator(pg_catalog.||) pg_catalog.array_to_string(params_array, '&') end
$$;

create function net._encode_params(params jsonb) returns text[]
language sql immutable set search_path = '' as $$
  select coalesce(pg_catalog.array_agg(net._urlencode_string(p.key) operator(pg_catalog.||) '=' operator(pg_catalog.||) net._urlencode_string(p.value)), '{}')
  from pg_catalog.jsonb_each_text(coalesce(params, '{}')) as p
$$;

-- The worker controls: there is no worker to wake, restart or wait for.
create function net.wake() returns void language plpgsql as $$ begin end $$;
create function net.worker_restart() returns boolean language sql as $$ select true $$;
create function net.wait_until_running() returns void language plpgsql as $$ begin end $$;
comment on function net.wait_until_running() is 'waits until the worker is running';
create function net.check_worker_is_up() returns void language plpgsql as $$ begin end $$;
comment on function net.check_worker_is_up() is 'raises an exception if the pg_net background worker is not up, otherwise it doesn''t return anything';

create function net._await_response(request_id bigint) returns boolean
language plpgsql as $$
begin
  raise exception 'pg_net is ${EMULATED}: requests are never sent, so request % gets no response', request_id;
end
$$;

create function net.http_get(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds integer default 5000
) returns bigint
language plpgsql set search_path = '' as $$
declare
  v_id bigint;
begin
  insert into net.http_request_queue (method, url, headers, timeout_milliseconds)
  values ('GET', net._encode_url_with_params_array(url, net._encode_params(params)), headers, timeout_milliseconds)
  returning id into v_id;
  perform net.wake();
  return v_id;
end
$$;

create function net.http_post(
  url text,
  body jsonb default '{}'::jsonb,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
  timeout_milliseconds integer default 5000
) returns bigint
language plpgsql set search_path = '' as $$
declare
  v_content_type text;
  v_id bigint;
begin
  select h.value into v_content_type
  from pg_catalog.jsonb_each_text(coalesce(headers, '{}')) as h
  where pg_catalog.lower(h.key) operator(pg_catalog.=) 'content-type'
  limit 1;
  if v_content_type is null then
    headers := coalesce(headers, '{}') operator(pg_catalog.||) '{"Content-Type": "application/json"}'::jsonb;
  elsif v_content_type operator(pg_catalog.<>) 'application/json' then
    raise exception 'Content-Type header must be "application/json"';
  end if;
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values ('POST', net._encode_url_with_params_array(url, net._encode_params(params)), headers,
          pg_catalog.convert_to(body::text, 'UTF8'), timeout_milliseconds)
  returning id into v_id;
  perform net.wake();
  return v_id;
end
$$;

create function net.http_delete(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds integer default 5000,
  body jsonb default null
) returns bigint
language plpgsql set search_path = '' as $$
declare
  v_id bigint;
begin
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values ('DELETE', net._encode_url_with_params_array(url, net._encode_params(params)), headers,
          pg_catalog.convert_to(body::text, 'UTF8'), timeout_milliseconds)
  returning id into v_id;
  perform net.wake();
  return v_id;
end
$$;

create function net._http_collect_response(request_id bigint, async boolean default true)
returns net.http_response_result
language plpgsql set search_path = '' as $$
declare
  v_response net._http_response;
begin
  if not async then
    perform net._await_response(request_id);
  end if;
  select * into v_response from net._http_response r where r.id operator(pg_catalog.=) request_id;
  if v_response is null or v_response.error_msg is not null then
    return ('ERROR', coalesce(v_response.error_msg, 'request matching request_id not found'), null)::net.http_response_result;
  end if;
  return ('SUCCESS', 'ok', (v_response.status_code, v_response.headers, v_response.content)::net.http_response)::net.http_response_result;
end
$$;

create function net.http_collect_response(request_id bigint, async boolean default true)
returns net.http_response_result
language plpgsql set search_path = '' as $$
begin
  raise notice 'The net.http_collect_response function is deprecated.';
  return net._http_collect_response(request_id, async);
end
$$;

grant usage on schema net to public;
grant all on all sequences in schema net to public;
grant all on all tables in schema net to public;
`;

// ---------------------------------------------------------------------------
// supabase_vault 0.3
// ---------------------------------------------------------------------------

const VAULT_SQL = String.raw`
-- Supabase Vault 0.3's SQL interface, ${EMULATED}. The secret is stored
-- encrypted (base64) and readable in clear only through vault.decrypted_secrets.
-- Cipher: a keystream of sha256(key || nonce || counter) blocks XORed with the
-- message, followed by a 16-byte tag sha256(key || nonce || additional ||
-- ciphertext); the key derives from vault._root_key (superuser only) and the
-- key id, so a secret only decrypts with its own id (the "additional" data).
create table vault._root_key (key bytea not null);
revoke all on vault._root_key from public;
insert into vault._root_key (key)
select pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.gen_random_uuid()::text operator(pg_catalog.||) pg_catalog.gen_random_uuid()::text, 'UTF8'));

create function vault._crypto_aead_det_noncegen() returns bytea
language sql volatile set search_path = '' as $$
  select pg_catalog.substr(pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.gen_random_uuid()::text operator(pg_catalog.||) pg_catalog.gen_random_uuid()::text, 'UTF8')), 1, 24)
$$;

create function vault._key(p_key_id bigint, p_context bytea) returns bytea
language sql stable security definer set search_path = '' as $$
  select pg_catalog.sha256(k.key operator(pg_catalog.||) pg_catalog.int8send(coalesce(p_key_id, 0)) operator(pg_catalog.||) coalesce(p_context, ''::bytea))
  from vault._root_key k limit 1
$$;

create function vault._xor_keystream(p_message bytea, p_key bytea, p_nonce bytea) returns bytea
language plpgsql immutable set search_path = '' as $$
declare
  v_out bytea := p_message;
  v_block bytea;
  i integer;
begin
  for i in 0 .. pg_catalog.length(p_message) - 1 loop
    if i % 32 = 0 then
      v_block := pg_catalog.sha256(p_key operator(pg_catalog.||) coalesce(p_nonce, ''::bytea) operator(pg_catalog.||) pg_catalog.int4send(i / 32));
    end if;
    v_out := pg_catalog.set_byte(v_out, i, pg_catalog.get_byte(p_message, i) # pg_catalog.get_byte(v_block, i % 32));
  end loop;
  return v_out;
end
$$;

create function vault._crypto_aead_det_encrypt(
  message bytea, additional bytea, key_id bigint, context bytea = 'pgsodium', nonce bytea = null
) returns bytea
language plpgsql security definer set search_path = '' as $$
declare
  v_key bytea := vault._key(key_id, context);
  v_nonce bytea := coalesce(nonce, pg_catalog.substr(pg_catalog.sha256(v_key operator(pg_catalog.||) coalesce(additional, ''::bytea) operator(pg_catalog.||) message), 1, 24));
  v_cipher bytea := vault._xor_keystream(message, v_key, v_nonce);
begin
  return v_cipher operator(pg_catalog.||) pg_catalog.substr(pg_catalog.sha256(
    v_key operator(pg_catalog.||) v_nonce operator(pg_catalog.||) coalesce(additional, ''::bytea) operator(pg_catalog.||) v_cipher), 1, 16);
end
$$;

create function vault._crypto_aead_det_decrypt(
  message bytea, additional bytea, key_id bigint, context bytea = 'pgsodium', nonce bytea = null
) returns bytea
language plpgsql security definer set search_path = '' as $$
declare
  v_key bytea := vault._key(key_id, context);
  v_cipher bytea;
begin
  if message is null then
    return null;
  end if;
  if pg_catalog.length(message) >= 16 then
    v_cipher := pg_catalog.substr(message, 1, pg_catalog.length(message) - 16);
  end if;
  if v_cipher is null or pg_catalog.substr(message, pg_catalog.length(message) - 15) operator(pg_catalog.<>) pg_catalog.substr(pg_catalog.sha256(
       v_key operator(pg_catalog.||) coalesce(nonce, ''::bytea) operator(pg_catalog.||) coalesce(additional, ''::bytea) operator(pg_catalog.||) v_cipher), 1, 16) then
    raise exception 'vault._crypto_aead_det_decrypt: invalid message';
  end if;
  return vault._xor_keystream(v_cipher, v_key, nonce);
end
$$;

create table vault.secrets (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  name text,
  description text not null default '',
  secret text not null,
  key_id uuid,
  nonce bytea default vault._crypto_aead_det_noncegen(),
  created_at timestamptz not null default current_timestamp,
  updated_at timestamptz not null default current_timestamp
);
comment on table vault.secrets is 'Secrets, stored encrypted; read them in clear through vault.decrypted_secrets.';
create unique index on vault.secrets using btree (name) where name is not null;

create view vault.decrypted_secrets as
select s.id,
  s.name,
  s.description,
  s.secret,
  pg_catalog.convert_from(
    vault._crypto_aead_det_decrypt(
      message := pg_catalog.decode(s.secret, 'base64'),
      additional := pg_catalog.convert_to(s.id::text, 'utf8'),
      key_id := 0,
      context := 'pgsodium'::bytea,
      nonce := s.nonce
    ),
    'utf8'
  ) as decrypted_secret,
  s.key_id,
  s.nonce,
  s.created_at,
  s.updated_at
from vault.secrets s;

create function vault.create_secret(
  new_secret text,
  new_name text = null,
  new_description text = '',
  -- unused, as in Vault 0.3
  new_key_id uuid = null
) returns uuid
language plpgsql security definer set search_path = '' as $$
declare
  v_id uuid := pg_catalog.gen_random_uuid();
  v_nonce bytea := vault._crypto_aead_det_noncegen();
begin
  insert into vault.secrets (id, secret, name, description, nonce)
  values (
    v_id,
    pg_catalog.encode(vault._crypto_aead_det_encrypt(
      message := pg_catalog.convert_to(new_secret, 'utf8'),
      additional := pg_catalog.convert_to(v_id::text, 'utf8'),
      key_id := 0,
      context := 'pgsodium'::bytea,
      nonce := v_nonce
    ), 'base64'),
    new_name,
    new_description,
    v_nonce
  );
  return v_id;
end
$$;

create function vault.update_secret(
  secret_id uuid,
  new_secret text = null,
  new_name text = null,
  new_description text = null,
  -- unused, as in Vault 0.3
  new_key_id uuid = null
) returns void
language plpgsql security definer set search_path = '' as $$
begin
  update vault.secrets s
  set
    secret = case when new_secret is null then s.secret
                  else pg_catalog.encode(vault._crypto_aead_det_encrypt(
                    message := pg_catalog.convert_to(new_secret, 'utf8'),
                    additional := pg_catalog.convert_to(s.id::text, 'utf8'),
                    key_id := 0,
                    context := 'pgsodium'::bytea,
                    nonce := s.nonce
                  ), 'base64') end,
    name = coalesce(new_name, s.name),
    description = coalesce(new_description, s.description),
    updated_at = pg_catalog.now()
  where s.id operator(pg_catalog.=) secret_id;
end
$$;

revoke all on function
  vault._crypto_aead_det_encrypt(bytea, bytea, bigint, bytea, bytea),
  vault._crypto_aead_det_decrypt(bytea, bytea, bigint, bytea, bytea),
  vault._crypto_aead_det_noncegen(),
  vault._key(bigint, bytea),
  vault._xor_keystream(bytea, bytea, bytea),
  vault.create_secret(text, text, text, uuid),
  vault.update_secret(uuid, text, text, text, uuid)
from public;

select pg_catalog.pg_extension_config_dump('vault.secrets', '');
`;

const control = (lines: Record<string, string | boolean>): string =>
  Object.entries(lines)
    .map(([k, v]) => `${k} = ${typeof v === "boolean" ? String(v) : `'${v}'`}`)
    .join("\n") + "\n";

export const EMULATIONS: Record<"pg_cron" | "pg_net" | "supabase_vault", ExtensionFiles> = {
  pg_cron: {
    control: control({
      comment: `Job scheduler for PostgreSQL (SQL interface ${EMULATED}: jobs are stored, not run)`,
      default_version: "1.6",
      relocatable: false,
      schema: "pg_catalog",
      trusted: true,
    }),
    scripts: { "pg_cron--1.6.sql": PG_CRON_SQL },
  },
  pg_net: {
    control: control({
      comment: `Async HTTP (${EMULATED}: requests are queued, never sent)`,
      default_version: "0.20.4",
      relocatable: false,
      trusted: true,
    }),
    scripts: { "pg_net--0.20.4.sql": PG_NET_SQL },
  },
  supabase_vault: {
    control: control({
      comment: `Supabase Vault Extension (${EMULATED})`,
      default_version: "0.3.1",
      relocatable: false,
      schema: "vault",
      trusted: true,
    }),
    scripts: { "supabase_vault--0.3.1.sql": VAULT_SQL },
  },
};

/** Writes a file, replacing (never writing through) a symlink to the original installation. */
function writeOwn(file: string, content: string): void {
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, content, { mode: 0o644 });
}

/** The files of one extension, by name prefix (`pg_cron.control`, `pg_cron--*.sql`). */
function extensionFiles(extensionDir: string, name: string): string[] {
  return fs
    .readdirSync(extensionDir)
    .filter((f) => f === `${name}.control` || (f.startsWith(`${name}--`) && f.endsWith(".sql")));
}

/** Is the real pg_cron (control file and library) part of this installation? */
export function hasRealPgCron(extensionDir: string): boolean {
  const controlFile = path.join(extensionDir, "pg_cron.control");
  if (!fs.existsSync(controlFile)) return false;
  return !fs.readFileSync(controlFile, "utf8").includes(EMULATED);
}

/**
 * Installs the extensions into an extension folder that belongs to one server
 * (never the shared installation: see overlayInstall). `realCron`: keep the
 * installation's pg_cron (loaded through shared_preload_libraries) and only
 * make it creatable by `postgres`, as supautils does on Supabase.
 */
export function installExtensions(extensionDir: string, opts: { realCron: boolean }): void {
  for (const [name, files] of Object.entries(EMULATIONS)) {
    if (name === "pg_cron" && opts.realCron) {
      const controlFile = path.join(extensionDir, "pg_cron.control");
      const original = fs.readFileSync(controlFile, "utf8");
      const trusted = original.replace(/^\s*trusted\s*=.*$/m, "").trimEnd();
      writeOwn(controlFile, `${trusted}\n# ${EMULATED}: creatable by postgres, as supautils allows on Supabase\ntrusted = true\n`);
      continue;
    }
    // An installation's own files of the same name (a real pg_cron without
    // its library loaded, say) would shadow or mix with the emulation.
    for (const file of extensionFiles(extensionDir, name)) fs.rmSync(path.join(extensionDir, file), { force: true });
    writeOwn(path.join(extensionDir, `${name}.control`), files.control);
    for (const [file, sql] of Object.entries(files.scripts)) writeOwn(path.join(extensionDir, file), sql);
  }
}
