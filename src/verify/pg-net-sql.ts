/**
 * pg_net 0.20's SQL interface (what Supabase runs): the request queue, the
 * response table, the types and http_get / http_post / http_delete with their
 * signatures and defaults. No worker: a request stays queued, as it does in
 * pg_net until commit. See extensions.ts.
 */
import { EMULATED } from "./emulated.js";

export const PG_NET_SQL = String.raw`
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
