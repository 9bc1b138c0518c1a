import express, { type RequestHandler } from "express";
import type { Principal } from "@portcullis/core";

export const asKey = (scopes: string[]): Principal => ({ kind: "api_key", keyId: "key_1", owner: "alice", scopes });

/** A Clarifai-style model: mostly public fields, and training data only an admin may see. */
export function model() {
  return {
    id: "general-image-recognition",
    name: "General",
    created_at: "2026-01-01T00:00:00Z",
    app_id: "main",
    output_info: {
      message: "Show output_info with: GET /models/{model_id}/output_info",
      type: "concept",
      data: { concepts: [{ id: "ai_8S2Vq3cR", name: "dog", value: 1 }, { id: "ai_l8TKp2h5", name: "cat", value: 1 }] },
    },
    model_version: { id: "aa7f35c01e0642fda5cf400f543e7c40", status: { code: 21100, description: "Model is trained and ready" } },
    training_data: { inputs: 120_000, source: "s3://models/general/train" },
  };
}

/** A list of `count` models, each with its metrics and owner. */
export function modelList(count: number) {
  return {
    status: { code: 10000, description: "Ok" },
    items: Array.from({ length: count }, (_, i) => ({
      id: `model-${i}`,
      name: `Model number ${i} of the catalogue`,
      description: "A visual classifier trained on the catalogue's images, with its version history.",
      metrics: { auc: 0.9 },
      owner: { name: "Ann", email: "ann@example.com" },
    })),
  };
}

/** Sets the principal, as apiKeyAuth or sessionAuth would (none if undefined). */
export function authenticate(principal: Principal | undefined): RequestHandler {
  return function authenticateForTest(req, _res, next) {
    if (principal) req.auth = principal;
    next();
  };
}

/**
 * An app with one GET /resource route: the principal the test gives (none if undefined), then
 * `redactor`, then `handler`, which by default answers `res.json(model())`.
 */
export function createApp(principal: Principal | undefined, redactor: RequestHandler, handler: RequestHandler = (_req, res) => void res.json(model())) {
  const app = express();
  app.get("/resource", authenticate(principal), redactor, handler);
  return app;
}
