-- Remembers a webhook or store notification delivery; true the first time.
-- Every procedure above is idempotent on its own, so this is an early exit
-- for redeliveries (and a record of what arrived), not the only guard.
create or replace function public.record_webhook_event(p_source text, p_event_id text)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_source is null or p_event_id is null then
    raise exception 'invalid_request: source and event id are required' using errcode = 'P0001';
  end if;
  insert into private.webhook_events (source, event_id)
  values (p_source, p_event_id)
  on conflict (source, event_id) do nothing;
  return found;
end;
$$;

revoke all on function public.record_webhook_event(text, text) from public, anon, authenticated;
grant execute on function public.record_webhook_event(text, text) to service_role;
