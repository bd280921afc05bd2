-- Layer 3: the private Storage bucket for finished videos.
--
-- Provider URLs expire (fal and Runway within days, Replicate within an
-- hour), so the Edge Functions copy every finished video to
--   videos/<user_id>/<job_id>.mp4
-- with the service role, and hand the owner a short-lived signed URL.
-- The bucket is private: no public URL, no anonymous read. The one policy
-- below lets a signed-in user read (and sign URLs for) only the files in
-- their own folder; nobody but the service role can write.
--
-- Storage is part of every Supabase project. On a plain PostgreSQL without
-- the `storage` schema (CI) this migration applies and does nothing.
do $outer$
begin
  if to_regclass('storage.buckets') is null or to_regclass('storage.objects') is null then
    raise notice 'no Supabase Storage schema: bucket "videos" not created';
    return;
  end if;

  -- No file_size_limit here: the project's global upload limit applies
  -- (50 MB on the Free plan; raise it in the dashboard for long 1080p videos).
  insert into storage.buckets (id, name, public, allowed_mime_types)
  values ('videos', 'videos', false, array['video/mp4'])
  on conflict (id) do update set public = false, allowed_mime_types = excluded.allowed_mime_types;

  -- The app never needs this policy (it gets signed URLs from the functions);
  -- it lets a client SDK read its own videos directly. Supabase lets
  -- `postgres` create policies on storage.objects (which it does not own);
  -- should a project refuse, the migration goes on and says how to add it.
  if not exists (
    select 1 from pg_policies
    where schemaname = 'storage' and tablename = 'objects'
      and policyname = 'videos: owners read their own videos'
  ) then
    begin
      execute $policy$
        create policy "videos: owners read their own videos" on storage.objects
          for select to authenticated
          using (
            bucket_id = 'videos'
            and (storage.foldername(name))[1] = (select auth.uid())::text
          )
      $policy$;
    exception when insufficient_privilege then
      raise warning 'could not create the owner-read policy on storage.objects (%): '
        'add it in Dashboard > Storage > Policies if clients read videos directly', sqlerrm;
    end;
  end if;
end
$outer$;
