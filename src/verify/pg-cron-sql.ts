/**
 * pg_cron 1.6's SQL interface (what Supabase runs), for servers without the
 * real pg_cron: cron.job and cron.job_run_details as pg_cron defines them,
 * schedule / unschedule / schedule_in_database / alter_job with its
 * signatures, checks and errors, and its schedule syntax. No scheduler: verify
 * runs the jobs itself (schedules.ts). See extensions.ts.
 */
import { EMULATED } from "./emulated.js";

export const PG_CRON_SQL = String.raw`
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
