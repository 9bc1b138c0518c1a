import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { runCommand } from "@portcullis/testing";

/** The CorePlexML page's own curl snippets, as examples/quickstart runs them. */
const SNIPPETS = resolve(__dirname, "../../../quickstart/seed-snippets");

/** The admin the snippets sign in as (login.sh), which the demo must seed. */
export const SNIPPET_ADMIN = { email: "you@example.com", password: "your-password" };

/** What one request with curl answered. */
interface CurlAnswer {
  readonly status: number;
  readonly headers: string;
  readonly body: string;
}

/** What the walkthrough saw, for the caller to check the stores with. */
export interface Walkthrough {
  readonly key: string;
  readonly keyId: string;
  readonly steps: Readonly<Record<string, unknown>>;
}

/**
 * The CorePlexML flow with real curl against a demo that seeded `SNIPPET_ADMIN`: the page's own
 * snippets (login with -c cookies.txt, create a key with -b cookies.txt, list the projects with
 * the Bearer key), then the rest of the root README's "The CorePlexML flow, by hand": predict, a
 * model read with training_data redacted, the masked listing, revoking the key, the key refused,
 * and the access log. Answers what each step gave, so the test states the whole flow in one
 * `toEqual`.
 */
export async function coreplexmlWalkthrough(baseUrl: string): Promise<Walkthrough> {
  const work = mkdtempSync(join(tmpdir(), "portcullis-walkthrough-")); // curl's cookies.txt lands here
  try {
    const snippet = (file: string, env: Record<string, string> = {}) =>
      JSON.parse(runCommand("bash", [join(SNIPPETS, file)], { cwd: work, env: { BASE_URL: baseUrl, ...env } })) as unknown;
    const curl = (path: string, ...args: string[]): CurlAnswer => {
      const out = runCommand("curl", ["-s", "-D", "-", "-w", "\n%{http_code}", ...args, `${baseUrl}${path}`], { cwd: work });
      const status = Number(out.slice(out.lastIndexOf("\n") + 1));
      const [headers = "", body = ""] = out.slice(0, out.lastIndexOf("\n")).split(/\r\n\r\n/, 2);
      return { status, headers, body };
    };

    const login = snippet("login.sh") as { user: { email: string } };
    const created = snippet("create-key.sh") as { key: string; key_id: string; scopes: string[] };
    const bearer = ["-H", `Authorization: Bearer ${created.key}`];
    const projects = snippet("list-projects.sh", { API_KEY: created.key });
    const predict = curl("/api/models/mdl_1/predict", "-X", "POST", ...bearer);
    const model = curl("/api/models/mdl_1", ...bearer);
    const listed = curl("/api/auth/api-keys", "-b", "cookies.txt");
    const revoked = curl(`/api/auth/api-keys/${created.key_id}`, "-X", "DELETE", "-b", "cookies.txt");
    const refused = snippet("list-projects.sh", { API_KEY: created.key });
    // The access log is written in the background: the key's refusal appears within the flush interval.
    let log: { events: { action: string; outcome: string; code?: string }[] } = { events: [] };
    for (let i = 0; i < 50 && !log.events.some((event) => event.code === "revoked_key"); i++) {
      if (i > 0) await new Promise((done) => setTimeout(done, 100));
      log = JSON.parse(curl("/api/auth/audit", "-b", "cookies.txt").body) as typeof log;
    }

    return {
      key: created.key,
      keyId: created.key_id,
      steps: {
        login: login.user.email,
        created: [created.key.startsWith("cpx_live."), created.scopes],
        projects,
        predict: predict.status,
        model: [model.status, JSON.parse(model.body), /^x-redacted-fields: training_data$/im.test(model.headers)],
        listed: [listed.status, listed.body.includes(created.key), (JSON.parse(listed.body) as { keys: { key_id: string }[] }).keys.map((k) => k.key_id)],
        revoked: revoked.status,
        refused,
        logged: log.events.some((event) => event.action === "api_key.authenticate" && event.code === "revoked_key"),
      },
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** What `coreplexmlWalkthrough` answers on a demo that does it all right. */
export function expectedWalkthrough(keyId: string): Record<string, unknown> {
  return {
    login: SNIPPET_ADMIN.email,
    created: [true, ["read", "write", "predict"]],
    projects: [{ id: "prj_1", name: "Churn prediction" }],
    predict: 200,
    model: [200, { id: "mdl_1", name: "churn-gbm" }, true],
    listed: [200, false, [keyId]],
    revoked: 204,
    refused: { error: "revoked_key", detail: expect.any(String) },
    logged: true,
  };
}
