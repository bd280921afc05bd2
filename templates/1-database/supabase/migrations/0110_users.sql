-- One row per auth user: the credit balance. Credits only ever change through
-- the credit procedures (layer 2), which keep `quota_log` in step with it.
create table public.users (
  id uuid primary key references auth.users (id) on delete cascade,
  credits integer not null default 0 check (credits >= 0),
  -- Jobs not yet final (queued, submitted, processing). Kept by the credit
  -- procedures under the same row lock as `credits`, so the per-user limit is
  -- one comparison instead of a count over video_jobs.
  active_jobs integer not null default 0 check (active_jobs >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.users is 'Credit balance per auth user. Written only by the credit procedures.';

create trigger users_set_updated_at
  before update on public.users
  for each row execute function private.set_updated_at();

alter table public.users enable row level security;

create policy "users: owner reads own row" on public.users
  for select to authenticated
  using ((select auth.uid()) = id);

-- Explicit grants, correct under both the legacy default grants and the
-- 2026 "not exposed by default" mode: start from nothing, add what is needed.
revoke all on table public.users from public, anon, authenticated, service_role;
grant select on table public.users to authenticated;
grant select on table public.users to service_role;

-- A users row for every new auth user. Lives in `private` (not exposed), runs
-- as its owner because the inserting role (supabase_auth_admin) has no rights
-- on public.users.
create or replace function private.handle_new_auth_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.users (id) values (new.id) on conflict (id) do nothing;
  return new;
end;
$$;
revoke all on function private.handle_new_auth_user() from public, anon, authenticated, service_role;

create trigger on_auth_user_created
  after insert on auth.users
  for each row execute function private.handle_new_auth_user();

-- Users who signed up before this migration ran.
insert into public.users (id)
select id from auth.users
on conflict (id) do nothing;
