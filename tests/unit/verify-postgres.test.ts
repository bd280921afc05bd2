import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { preparePlatform, startPostgres, withClient, type PostgresServer } from "../../src/verify/postgres.js";

// The platform emulation must behave like a hosted Supabase project: postgres
// is not a superuser, and the two privilege regimes differ exactly in the
// default grants of new objects in public.
describe("startPostgres + preparePlatform", () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres({ pgMajor: (Number(process.env.CVB_TEST_PG_MAJOR) || 17) as 15 | 17 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("runs migrations as a non-superuser postgres with Supabase's schemas", async () => {
    const db = await preparePlatform(server.superuserUrl, { regime: "legacy" });
    expect(db.postgresUrl).toContain("sslmode=disable");
    await withClient(db.postgresUrl, async (c) => {
      const me = await c.query(
        "select current_user as u, r.rolsuper, r.rolcreaterole, r.rolbypassrls, current_setting('pgrst.db_schemas') as schemas from pg_roles r where r.rolname = current_user",
      );
      expect(me.rows[0]).toEqual({ u: "postgres", rolsuper: false, rolcreaterole: true, rolbypassrls: true, schemas: "public" });
      await expect(c.query("alter role postgres superuser")).rejects.toThrow(/permission denied|must be superuser/);
      // Extensions that need a superuser fail here as they would on Supabase.
      await expect(c.query("create extension file_fdw")).rejects.toThrow(/permission denied to create extension/);
      const auth = await c.query(
        "select has_table_privilege('service_role', 'auth.users', 'select') as service, has_table_privilege('anon', 'auth.users', 'select') as anon, has_table_privilege('postgres', 'auth.users', 'insert') as postgres",
      );
      expect(auth.rows[0]).toEqual({ service: false, anon: false, postgres: true });
      // What migrations of the generated project need on Supabase:
      await c.query("create table public.profile (id uuid primary key references auth.users (id) on delete cascade)");
      await c.query(
        "create function public.on_user() returns trigger language plpgsql security definer set search_path = '' as $$ begin insert into public.profile (id) values (new.id); return new; end $$",
      );
      await c.query("create trigger on_user after insert on auth.users for each row execute function public.on_user()");
      await c.query("insert into storage.buckets (id, name) values ('videos', 'videos')");
      await c.query(
        "create policy own_videos on storage.objects for select to authenticated using (bucket_id = 'videos' and (storage.foldername(name))[1] = (select auth.uid())::text)",
      );
      const id = (await c.query("insert into auth.users (id) values (extensions.gen_random_uuid()) returning id")).rows[0].id;
      expect((await c.query("select count(*)::int as n from public.profile where id = $1", [id])).rows[0].n).toBe(1);
      await c.query("begin");
      await c.query(`select set_config('request.jwt.claims', '{"sub":"${id}","role":"authenticated"}', true)`);
      const who = await c.query("select auth.uid() as uid, auth.role() as role, auth.jwt() ->> 'sub' as sub");
      await c.query("rollback");
      expect(who.rows[0]).toEqual({ uid: id, role: "authenticated", sub: id });
    });
  });

  it("differs between regimes only in the default Data API grants", async () => {
    const grants: Record<string, unknown> = {};
    for (const regime of ["legacy", "2026"] as const) {
      const db = await preparePlatform(server.superuserUrl, { regime });
      grants[regime] = await withClient(db.postgresUrl, async (c) => {
        await c.query("create table public.t (id int primary key)");
        await c.query("create function public.f() returns int language sql as 'select 1'");
        return (
          await c.query(
            "select has_table_privilege('anon', 'public.t', 'select') as anon_select, has_table_privilege('service_role', 'public.t', 'insert') as service_insert, has_function_privilege('anon', 'public.f()', 'execute') as anon_execute",
          )
        ).rows[0];
      });
    }
    expect(grants.legacy).toEqual({ anon_select: true, service_insert: true, anon_execute: true });
    // 2026: tables are not exposed; functions stay executable through PUBLIC.
    expect(grants["2026"]).toEqual({ anon_select: false, service_insert: false, anon_execute: true });
  });
});
