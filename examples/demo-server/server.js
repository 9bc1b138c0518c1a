// @ts-check
// `npm run demo`: the demo on PORT (3000), in memory; its records in PostgreSQL when DATABASE_URL is
// set, and its sessions and limits (and its records, without DATABASE_URL) on Redis when REDIS_URL is.
// Sign-in through the providers the environment configures, or else through the Demo IdP it starts.
const { randomBytes } = require("node:crypto");
const { bcryptPasswords } = require("portcullis");
const { createDemoApp } = require("./app");
const { demoMailer } = require("./email");
const { startPrometheusMetrics } = require("./metrics");
const { signInProviders } = require("./sign-in-providers");
const { openStorage } = require("./storage");

const randomSecret = () => randomBytes(32).toString("base64url");

async function main() {
  const port = Number(process.env.PORT ?? 3000);
  const databaseUrl = process.env.DATABASE_URL || undefined;
  const redisUrl = process.env.REDIS_URL || undefined;
  if ((databaseUrl || redisUrl) && (!process.env.PORTCULLIS_SECRET || !process.env.SESSION_SECRET || !process.env.MFA_ENCRYPTION_KEY)) {
    throw new Error(
      `PORTCULLIS_SECRET, SESSION_SECRET and MFA_ENCRYPTION_KEY are required with ${databaseUrl ? "DATABASE_URL" : "REDIS_URL"}: ` +
        "keys, cookies and two-factor secrets made under random secrets would not survive a restart",
    );
  }
  const secret = process.env.PORTCULLIS_SECRET ?? randomSecret();
  const sessionSecret = process.env.SESSION_SECRET ?? randomSecret();
  const mfaEncryptionKey = process.env.MFA_ENCRYPTION_KEY ?? randomSecret();
  const storage = await openStorage({ databaseUrl, redisUrl, passwords: bcryptPasswords() });
  const { close, identities, emailTokens, outbox, ...stores } = storage;
  // Where the browser reaches the demo: providers send it back to <PUBLIC_URL>/api/auth/oauth/<id>/callback.
  const publicUrl = (process.env.PUBLIC_URL || `http://localhost:${port}`).replace(/\/$/, "");
  const callbackBaseUrl = `${publicUrl}/api/auth/oauth`;
  const { demoIdp, ...providers } = await signInProviders(process.env, callbackBaseUrl);
  const stopAll = () => Promise.allSettled([close(), demoIdp?.stop()]);

  // Set to the empty string, as unset: the admin gets a generated password.
  const email = process.env.PORTCULLIS_ADMIN_EMAIL || "admin@example.com";
  const password = process.env.PORTCULLIS_ADMIN_PASSWORD || undefined;
  // Before the app is made, as an app starts its OpenTelemetry SDK first.
  const metrics = startPrometheusMetrics();
  const signIn = { ...providers, identities, callbackBaseUrl };
  // The emailed links open the console where the browser reaches it; without SMTP_URL, messages go to the outbox.
  const mail = { mailer: demoMailer(process.env, outbox), tokens: emailTokens, appUrl: publicUrl };
  const { app, known } = createDemoApp({ ...stores, secret, sessionSecret, mfaEncryptionKey, metrics: metrics.handler, signIn, email: mail });
  const admin = await seedAdmin(stores.users, email, password);
  known.set(admin.id, admin);

  const server = app.listen(port, "127.0.0.1", () => {
    const address = server.address();
    if (demoIdp) console.log(`Demo IdP on ${demoIdp.issuer}: "Sign in with Demo IdP" signs in as demo-user (demo@idp.example), any password`);
    else console.log(`Sign-in providers: ${providers.providers.map((provider) => provider.name).join(", ")}`);
    console.log(process.env.SMTP_URL ? `Email: over SMTP (SMTP_URL)` : "Email: kept in the development outbox, on the console's Outbox page (this machine only)");
    console.log(`portcullis demo on http://localhost:${typeof address === "object" && address ? address.port : port}`);
  });
  const stop = () => server.close(() => void stopAll().finally(() => process.exit(0)));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

/**
 * Creates the admin unless it exists. Replicas started together on one store all try: the store's
 * create is the one atomic check (it refuses a taken email with `conflict`), so exactly one
 * creates the admin and prints its password, and the others find the admin it made.
 * @param {{ findByEmail(email: string): Promise<any>, create(user: { email: string, password: string, role: string }): Promise<any> }} users
 * @param {string} email
 * @param {string | undefined} password
 */
async function seedAdmin(users, email, password) {
  const existing = await users.findByEmail(email);
  if (!existing) {
    const generated = password === undefined;
    const chosen = password ?? randomSecret().slice(0, 20);
    try {
      const created = await users.create({ email, password: chosen, role: "admin" });
      console.log(`Admin: ${email}${generated ? ` / ${chosen}  (generated, shown once)` : ""}`);
      return created;
    } catch (error) {
      if (/** @type {{ code?: string }} */ (error)?.code !== "conflict") throw error;
    }
  }
  // Created by another replica meanwhile if not before; a claimed email always leads to its user.
  const admin = existing ?? (await users.findByEmail(email));
  if (!admin) throw new Error(`the admin ${email} is registered but could not be read; start again`);
  console.log(`Admin: ${email} exists already`);
  return admin;
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
