// @ts-check
const express = require("express");
const { ApiKeys, ScopePolicy, apiKeyAuth, endpoint, portcullisFinalHandlers, redactResponse, requireApp, scopeGuards } = require("portcullis");
const { ENDPOINT_SCOPES, OPERATION_SCOPES } = require("./scopes");

const scopes = new ScopePolicy({ known: [...OPERATION_SCOPES, ...ENDPOINT_SCOPES] });

/** Clarifai's status codes for the refusals this example makes (its API answers a status object). */
const STATUS_CODES = { 400: 11102, 401: 11009, 403: 11007, 404: 11101, 429: 11005, 503: 11006 };

/** Errors as Clarifai's API writes them: a `status` object with a code and a description. */
const clarifaiStatus = (/** @type {import("portcullis").PortcullisError} */ error) => ({
  body: { status: { code: STATUS_CODES[/** @type {keyof typeof STATUS_CODES} */ (error.status)] ?? 11000, description: error.detail, details: error.code } },
});

const model = (id) => ({
  id,
  name: "general-image-recognition",
  created_at: "2026-01-01T00:00:00Z",
  output_info: { output_config: { concepts_mutually_exclusive: false }, message: "Show output_info with: GET /models/{model_id}/output_info" },
  model_version: { id: "v1", status: { code: 21100, description: "Model is trained and ready" } },
  train_info: { params: { epochs: 12, learning_rate: 0.01 } }, // needs Models:Train
});

/**
 * The Clarifai configuration: keys in `Authorization: Key`, each bound to one app (a user's app,
 * `<user>/<app>`), operation scopes (`Models:Train`) and endpoint scopes
 * (`/clarifai.api.V2/PostModelOutputs`) combined as the page describes, and model responses whose
 * training details are redacted for keys without `Models:Train`, or rejected when they are most
 * of the response.
 *
 * @param {{ store: import("portcullis").KeyStore, secret: string, now?: () => number }} options
 */
function createApp({ store, secret, now }) {
  const keys = new ApiKeys({ store, secret, prefix: "clk_", scopes, ...(now ? { now } : {}) });
  const errors = { formatError: clarifaiStatus };
  const { requireScope } = scopeGuards({ policy: scopes, ...errors });
  const app = express();
  app.disable("x-powered-by");
  const appRoutes = express.Router({ mergeParams: true });

  app.use(
    "/v2/users/:userId/apps/:appId",
    apiKeyAuth({ keys, sources: [{ authorization: "Key" }], ...errors }),
    requireApp((req) => `${req.params.userId}/${req.params.appId}`, errors), // "A key only gives you access to a single app"
    appRoutes,
  );

  appRoutes.get("/models", endpoint("/clarifai.api.V2/ListModels"), requireScope("Models:Get"), (req, res) => {
    res.json({ status: { code: 10000, description: "Ok" }, models: [model("general")] });
  });
  appRoutes.get(
    "/models/:modelId",
    endpoint("/clarifai.api.V2/GetModel"),
    requireScope("Models:Get"),
    redactResponse([{ path: "model.train_info", scope: "Models:Train" }], { policy: scopes, ...errors }),
    (req, res) => void res.json({ status: { code: 10000, description: "Ok" }, model: model(String(req.params.modelId)) }),
  );
  appRoutes.get(
    "/models/:modelId/versions/:versionId/metrics",
    endpoint("/clarifai.api.V2/GetModelVersionMetrics"),
    requireScope("Models:Get"),
    redactResponse([{ path: "model_version.metrics", scope: "Models:Train" }], { policy: scopes, ...errors }),
    (req, res) => {
      const matrix = Array.from({ length: 20 }, (_, i) => ({ concept: `c${i}`, precision: 0.9, recall: 0.8, roc_auc: 0.95 }));
      res.json({ status: { code: 10000, description: "Ok" }, model_version: { id: req.params.versionId, metrics: { summary: { macro_avg_roc_auc: 0.95 }, label_counts: matrix } } });
    },
  );
  appRoutes.post("/models/:modelId/outputs", endpoint("/clarifai.api.V2/PostModelOutputs"), requireScope("Predict"), (req, res) => {
    res.json({ status: { code: 10000, description: "Ok" }, outputs: [{ data: { concepts: [{ name: "dog", value: 0.98 }] } }] });
  });
  // "for search to work properly it needs access to Predict at the operation level"
  appRoutes.post("/searches", endpoint("/clarifai.api.V2/PostSearches"), requireScope(["Search", "Predict"]), (req, res) => {
    res.json({ status: { code: 10000, description: "Ok" }, hits: [] });
  });
  appRoutes.post("/models/:modelId/versions", endpoint("/clarifai.api.V2/PostModelVersions"), requireScope("Models:Train"), (req, res) => {
    res.json({ status: { code: 10000, description: "Ok" }, model: { id: req.params.modelId, model_version: { id: "v2" } } });
  });
  appRoutes.delete("/inputs/:inputId", endpoint("/clarifai.api.V2/DeleteInput"), requireScope("Inputs:Delete"), (req, res) => {
    res.json({ status: { code: 10000, description: "Ok" } });
  });
  app.use(portcullisFinalHandlers(errors)); // last: unknown routes and every error in Clarifai's shape
  return { app, keys };
}

module.exports = { createApp };
