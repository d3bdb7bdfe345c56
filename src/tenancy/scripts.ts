import { LuaScript } from '../store/scripts.js';

/** Tenancy's Lua scripts (`src/tenancy/lua/`), run by `TenantManager`; their replies are decoded in `replies.ts`. */
export const tenancyScripts = {
  createTenant: new LuaScript('tenancy', 'createTenant', 1),
  updateTenant: new LuaScript('tenancy', 'updateTenant', 1),
  deleteTenant: new LuaScript('tenancy', 'deleteTenant', 1),
  changeUsage: new LuaScript('tenancy', 'changeUsage', 1),
  tenantStats: new LuaScript('tenancy', 'tenantStats', 1),
  cancelTask: new LuaScript('tenancy', 'cancelTask', 1),
  drainTenant: new LuaScript('tenancy', 'drainTenant', 1),
} as const;

export type TenancyScriptName = keyof typeof tenancyScripts;
