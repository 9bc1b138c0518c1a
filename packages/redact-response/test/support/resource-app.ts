import express, { type RequestHandler } from "express";
import type { Principal } from "@portcullis/core";
import { redactResponse, type RedactResponseOptions, type RedactionRule } from "@portcullis/redact-response";
import { authenticate } from "./create-app";

export const MODEL_RULES: RedactionRule[] = [
  { path: "training_data", scope: "admin" },
  { path: "[*].training_data", scope: "admin" },
  { path: "versions[*].metrics", scope: "Models:Train" },
];

export interface ResourceAppOptions {
  /** Middlewares before the redaction (a host's own body parser). */
  readonly before?: RequestHandler[];
  /** The route's body parser, after the redaction. */
  readonly parser?: RequestHandler;
  readonly redact?: Readonly<RedactResponseOptions>;
}

/**
 * A models resource as a host writes it: one router, redactResponse mounted once at its top, each
 * write route parsing its own JSON body and answering the stored model. `writes` records the
 * bodies the handlers acted on, so a test sees whether a refused write reached its handler.
 */
export function createResourceApp(principal: Principal | undefined, { before = [], parser = express.json(), redact = {} }: ResourceAppOptions = {}) {
  const models = new Map<string, Record<string, unknown>>([
    ["m1", { id: "m1", name: "churn", training_data: "s3://private/train.parquet", versions: [{ id: "v1", metrics: { auc: 0.9 } }] }],
  ]);
  const writes: unknown[] = [];
  const router = express.Router();
  router.use(...before, redactResponse(MODEL_RULES, redact));
  router.get("/", (_req, res) => void res.json([...models.values()]));
  router.get("/:id", (req, res) => void res.json(models.get(req.params.id)));
  router.post("/", parser, (req, res) => {
    writes.push(req.body);
    // A new model's training data goes where the platform puts it, unless an admin said where.
    const made = { training_data: "s3://private/new.parquet", ...(req.body as object), id: `m${models.size + 1}` };
    models.set(made.id, made);
    res.status(201).json(made);
  });
  const update: RequestHandler = (req, res) => {
    writes.push(req.body);
    const id = String(req.params.id);
    const updated = Object.assign({ ...models.get(id) }, req.body as object, { id });
    models.set(id, updated);
    res.json(updated);
  };
  router.patch("/:id", parser, update);
  router.put("/:id", parser, update);
  router.delete("/:id", (req, res) => {
    const gone = models.get(String(req.params.id));
    models.delete(String(req.params.id));
    res.send(gone);
  });
  router.post("/:id/export", (req, res) => void res.jsonp(models.get(String(req.params.id))));

  const app = express();
  app.use("/models", authenticate(principal), router);
  return { app, models, writes };
}
