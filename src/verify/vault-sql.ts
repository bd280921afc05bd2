/**
 * Supabase Vault 0.3's SQL interface: vault.secrets, vault.decrypted_secrets,
 * create_secret / update_secret with their signatures, encryption emulated
 * without libsodium. See extensions.ts.
 */
import { EMULATED } from "./emulated.js";

export const VAULT_SQL = String.raw`
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
