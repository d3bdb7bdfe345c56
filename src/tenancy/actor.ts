import { userInfo } from 'node:os';

/** Who makes a change, for the audit trail: explicit, `TURBINE_ACTOR`, else the OS user. */
export function resolveActor(explicit?: string): string {
  if (explicit) return explicit;
  if (process.env.TURBINE_ACTOR) return process.env.TURBINE_ACTOR;
  try {
    return userInfo().username;
  } catch {
    // Containers often run as a uid without a passwd entry.
    return process.env.USER ?? `uid:${process.getuid?.() ?? 'unknown'}`;
  }
}
