// @ts-check
// Runs the Plexe-style example in memory and prints a read-write key to start from.
const { randomBytes } = require("node:crypto");
const { MemoryKeyStore } = require("portcullis");
const { createApp, permissionLevels } = require("./app");

async function main() {
  const port = Number(process.env.PORT ?? 3001);
  const secret = process.env.PORTCULLIS_SECRET ?? randomBytes(32).toString("base64url");
  const { app, keys } = createApp({ store: new MemoryKeyStore(), secret });
  const { key } = await keys.create({ owner: "acct_demo", name: "First key", scopes: permissionLevels.read_write });
  const server = app.listen(port, "127.0.0.1", () => {
    console.log(`Plexe-style example on http://localhost:${port}`);
    console.log(`export PLEXE_API_KEY=${key}`);
  });
  process.once("SIGTERM", () => server.close(() => process.exit(0)));
  process.once("SIGINT", () => server.close(() => process.exit(0)));
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
