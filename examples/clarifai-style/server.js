// @ts-check
// Runs the Clarifai-style example in memory and prints two keys for the app "me/demo".
const { randomBytes } = require("node:crypto");
const { MemoryKeyStore } = require("portcullis");
const { createApp } = require("./app");

async function main() {
  const port = Number(process.env.PORT ?? 3002);
  const { app, keys } = createApp({ store: new MemoryKeyStore(), secret: process.env.PORTCULLIS_SECRET ?? randomBytes(32).toString("base64url") });
  const full = await keys.create({ owner: "me", app: "me/demo", name: "all models", scopes: ["Models:*", "Predict", "Search"] });
  const search = await keys.create({ owner: "me", app: "me/demo", name: "search only", scopes: ["Predict", "Search", "/clarifai.api.V2/PostSearches"] });
  app.listen(port, "127.0.0.1", () => {
    console.log(`Clarifai-style example on http://localhost:${port}/v2/users/me/apps/demo`);
    console.log(`Models key:      ${full.key}`);
    console.log(`Search-only key: ${search.key}`);
  });
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
