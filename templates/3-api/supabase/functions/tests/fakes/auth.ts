/** A fake Auth: a token is valid when it was issued here. */
import type { Auth, Caller } from "../../_shared/auth.ts";

export class FakeAuth implements Auth {
  private readonly tokens = new Map<string, Caller>();

  /** A bearer token for a new (or the given) user. */
  issue(userId: string = crypto.randomUUID(), isAnonymous = true): string {
    const token = `token-${crypto.randomUUID()}`;
    this.tokens.set(token, { userId, isAnonymous });
    return token;
  }

  verify(token: string): Promise<Caller | null> {
    return Promise.resolve(this.tokens.get(token) ?? null);
  }
}
