import express from "express";
import request from "supertest";
import type { Principal } from "@portcullis/core";
import { requireRecentAuth, type RequireRecentAuthOptions } from "@portcullis/require-scope";

const NOW = 1_767_225_600_000;
const MINUTE = 60_000;
const session = (authenticatedAt: number, secondFactorAt?: number): Principal => ({
  kind: "session",
  userId: "u1",
  owner: "u1",
  sessionId: "s1",
  scopes: [],
  authenticatedAt,
  ...(secondFactorAt === undefined ? {} : { secondFactorAt }),
});

function guarded(principal: Principal | undefined, options: RequireRecentAuthOptions) {
  const app = express();
  app.post(
    "/guarded",
    (req, _res, next) => {
      if (principal) req.auth = principal;
      next();
    },
    requireRecentAuth({ now: () => NOW, ...options }),
    (_req, res) => void res.json({ ok: true }),
  );
  return request(app).post("/guarded");
}

describe("requireRecentAuth", () => {
  test("a password check within maxAgeMs passes; an older one is refused with the RFC 9470 challenge", async () => {
    await guarded(session(NOW - 5 * MINUTE), { maxAgeMs: 5 * MINUTE }).expect(200);
    const res = await guarded(session(NOW - 5 * MINUTE - 1), { maxAgeMs: 5 * MINUTE }).expect(401);
    expect(res.body).toEqual({ error: "reauthentication_required", detail: "Confirm your password to continue." });
    expect(res.headers["www-authenticate"]).toBe('Bearer realm="api", error="insufficient_user_authentication", max_age="300"');
  });

  test("secondFactor: true also needs a second factor within maxAgeMs", async () => {
    const options = { maxAgeMs: 5 * MINUTE, secondFactor: true };
    await guarded(session(NOW - MINUTE, NOW - 5 * MINUTE), options).expect(200);
    for (const principal of [session(NOW - MINUTE), session(NOW - MINUTE, NOW - 5 * MINUTE - 1), session(NOW - 6 * MINUTE, NOW - MINUTE)]) {
      const res = await guarded(principal, options).expect(401);
      expect(res.body).toEqual({ error: "reauthentication_required", detail: "Confirm your password and a second-factor code to continue." });
      expect(res.headers["www-authenticate"]).toBe('Bearer realm="api", error="insufficient_user_authentication", acr_values="mfa", max_age="300"');
    }
  });

  test("an API key passes a password-recency guard, but never a second-factor one; no principal is a 401 missing_credentials", async () => {
    const key: Principal = { kind: "api_key", keyId: "key_1", owner: "o", scopes: [] };
    await guarded(key, {}).expect(200);
    // A key made from a password-only session must not step around the code.
    expect((await guarded(key, { secondFactor: true }).expect(403)).body).toEqual({
      error: "insufficient_permissions",
      detail: "This action needs a signed-in session with a recent second factor; an API key cannot perform it.",
    });
    expect((await guarded(undefined, { secondFactor: true }).expect(401)).body.error).toBe("missing_credentials");
  });

  test("by default a password check is recent for 15 minutes, on the real clock", async () => {
    const app = express();
    const now = Date.now();
    app.post(
      "/guarded",
      (req, _res, next) => {
        req.auth = session(Number(req.get("x-authenticated-at")));
        next();
      },
      requireRecentAuth(),
      (_req, res) => void res.json({ ok: true }),
    );
    await request(app).post("/guarded").set("x-authenticated-at", String(now - 14 * MINUTE)).expect(200);
    const res = await request(app).post("/guarded").set("x-authenticated-at", String(now - 16 * MINUTE)).expect(401);
    expect(res.headers["www-authenticate"]).toBe('Bearer realm="api", error="insufficient_user_authentication", max_age="900"');
  });

  test.each([
    [{ secondFactor: "yes" }, /^requireRecentAuth: "secondFactor" must be a boolean/],
    [{ maxAgeMs: -1 }, /^requireRecentAuth: "maxAgeMs"/],
    [{ secondFactors: true }, /^requireRecentAuth: unknown option "secondFactors"/],
    [{ maxAgeMs: 1.5 }, /^requireRecentAuth: "maxAgeMs" must be a whole number of milliseconds, at least 0$/],
    [{ now: 5 }, /^requireRecentAuth: "now" must be a function returning milliseconds$/],
    [{ realm: "a\\b" }, /^requireRecentAuth: "realm" must be 1 to 64 printable ASCII characters/],
  ])("options %j are refused at creation", (options, message) => {
    expect(() => requireRecentAuth(options as never)).toThrow(message);
  });
});
