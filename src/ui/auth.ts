import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_COOKIE = 'turbine_ui_token';
export const ACTOR_COOKIE = 'turbine_ui_actor';

/** Who is looking: an operator signed in with the token (and a name for the audit trail), or a viewer. */
export type Viewer = { canAct: true; actor: string } | { canAct: false };

/**
 * Checks the console's token. Without a token configured the console is read-only for
 * everyone; with one, actions need it, from the sign-in cookie or an `Authorization: Bearer`
 * header (for scripts).
 */
export class TokenCheck {
  private readonly digest: Buffer | null;

  constructor(token: string | undefined) {
    this.digest = token ? hash(token) : null;
  }

  get enabled(): boolean {
    return this.digest !== null;
  }

  matches(candidate: string | undefined): boolean {
    // Comparing digests keeps the comparison constant-time whatever the lengths.
    return this.digest !== null && candidate !== undefined && timingSafeEqual(this.digest, hash(candidate));
  }

  viewer(req: IncomingMessage): Viewer {
    const cookies = parseCookies(req.headers.cookie);
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!this.matches(bearer ?? cookies.get(TOKEN_COOKIE))) return { canAct: false };
    return { canAct: true, actor: actorName(cookies.get(ACTOR_COOKIE) ?? 'operator') };
  }
}

/** The audit trail's actor for a console user: `ui:<name>`, so changes made here are told apart. */
export function actorName(name: string): string {
  return `ui:${name}`;
}

/** A name for the audit trail: 1 to 64 characters, no control characters. */
export function validOperatorName(name: string): boolean {
  // eslint-disable-next-line no-control-regex
  return name.length >= 1 && name.length <= 64 && !/[\u0000-\u001f\u007f]/.test(name);
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at < 0) continue;
    try {
      cookies.set(part.slice(0, at).trim(), decodeURIComponent(part.slice(at + 1).trim()));
    } catch {
      // A malformed cookie of someone else's app on the same host: not ours, ignored.
    }
  }
  return cookies;
}

export function cookie(name: string, value: string, path: string, maxAgeSeconds?: number): string {
  const age = maxAgeSeconds === undefined ? '' : `; Max-Age=${maxAgeSeconds}`;
  return `${name}=${encodeURIComponent(value)}; Path=${path}; HttpOnly; SameSite=Strict${age}`;
}

function hash(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
