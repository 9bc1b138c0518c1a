import express from "express";
import { ApiKeys, MemoryKeyStore, ScopePolicy, type KeyStore } from "@portcullis/core";
import { apiKeyAuth } from "@portcullis/api-key-auth";
import { requireScope } from "@portcullis/require-scope";
import { apiKeysRouter, type ApiKeysRouterOptions } from "@portcullis/api-keys-router";

export const SECRET = "router-test-secret-at-least-32-bytes!!";

/**
 * A CorePlexML-shaped app: keys under /api/auth/api-keys, a guarded /api/projects, and an admin
 * key for alice to start from.
 */
export async function createApp(
  options: { store?: KeyStore; router?: Partial<Omit<ApiKeysRouterOptions, "keys">> } = {},
) {
  const clock = { now: Date.UTC(2026, 0, 1), advance: (ms: number) => void (clock.now += ms) };
  const policy = new ScopePolicy({ known: ["read", "write", "predict", "admin"], implies: { admin: "*" } });
  const keys = new ApiKeys({ store: options.store ?? new MemoryKeyStore(), secret: SECRET, prefix: "cpx_live.", scopes: policy, now: () => clock.now });
  const app = express();
  const auth = apiKeyAuth({ keys });
  app.use("/api/auth/api-keys", auth, apiKeysRouter({ keys, manageScope: false, permissionLevels: { read_write: ["read", "write"] }, ...options.router }));
  app.get("/api/projects", auth, requireScope("read", { policy }), (_req, res) => void res.json([{ id: "p1" }]));
  const admin = await keys.create({ owner: "alice", name: "bootstrap", scopes: ["admin"] });
  return { app, keys, clock, adminKey: admin.key, adminId: admin.record.id };
}
