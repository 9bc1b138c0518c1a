// @ts-check
const express = require("express");
const { requireJsonBody, utf8Only } = require("portcullis");

/**
 * An in-memory resource layer shaped like the CorePlexML API: a collection per resource type with
 * list, get, create, update and delete. The guards are the caller's: this only stores things.
 *
 * @param {string} prefix the id prefix, such as "prj"
 * @param {Array<Record<string, unknown>>} seed
 */
function collection(prefix, seed) {
  const items = new Map(seed.map((item, i) => [`${prefix}_${i + 1}`, { ...item, id: `${prefix}_${i + 1}` }]));
  let next = items.size + 1;
  return {
    list: () => [...items.values()],
    get: (/** @type {string} */ id) => items.get(id),
    create(/** @type {Record<string, unknown>} */ fields) {
      const item = { ...fields, id: `${prefix}_${next++}` };
      items.set(item.id, item);
      return item;
    },
    update(/** @type {string} */ id, /** @type {Record<string, unknown>} */ fields) {
      const current = items.get(id);
      if (!current) return undefined;
      const updated = { ...current, ...fields, id };
      items.set(id, updated);
      return updated;
    },
    remove: (/** @type {string} */ id) => items.delete(id),
  };
}

const NAME = /^[\p{L}\p{N} _.-]{1,100}$/u;

/**
 * GET / and GET /:id need `read`; POST, PATCH and DELETE need `write`, as the CorePlexML page
 * divides them. `fields` are the writable ones, each a string of at most 100 characters, required
 * on create but for those in `optional`. Redaction is the caller's, mounted once in front of the
 * router so that it covers every method.
 *
 * @param {ReturnType<typeof collection>} items
 * @param {readonly string[]} fields
 * @param {(scopes: string | string[]) => import("express").RequestHandler} requireScope
 * @param {readonly string[]} [optional] fields a create may leave out
 */
function resourceRouter(items, fields, requireScope, optional = []) {
  const router = express.Router();
  // Errors of the parser (bad JSON, too large, a charset other than UTF-8) reach the app's final handlers.
  // A body express.json skipped (not declared as JSON) is 415, not a body "missing".
  const json = [express.json({ limit: "16kb", verify: utf8Only }), requireJsonBody];
  const pick = (/** @type {any} */ body, /** @type {boolean} */ all) => {
    if (body === null || typeof body !== "object" || Array.isArray(body)) return { error: "body: must be a JSON object" };
    /** @type {Record<string, string>} */
    const out = {};
    for (const field of fields) {
      const value = body[field];
      if (value === undefined) {
        if (all && !optional.includes(field)) return { error: `${field}: is required` };
        continue;
      }
      if (typeof value !== "string" || !NAME.test(value)) return { error: `${field}: 1 to 100 letters, digits, spaces, "_", "." or "-"` };
      out[field] = value;
    }
    return { fields: out };
  };
  const refuse = (/** @type {import("express").Response} */ res, /** @type {number} */ status, /** @type {string} */ error, /** @type {string} */ detail) =>
    void res.status(status).json({ error, detail });

  router.get("/", requireScope("read"), (_req, res) => void res.json(items.list()));
  router.get("/:id", requireScope("read"), (req, res) => {
    const item = items.get(String(req.params.id));
    if (!item) return refuse(res, 404, "not_found", "Not found.");
    res.json(item);
  });
  router.post("/", requireScope("write"), json, (req, res) => {
    const picked = pick(req.body, true);
    if (picked.error) return refuse(res, 400, "invalid_request", picked.error);
    res.status(201).json(items.create(picked.fields ?? {}));
  });
  router.patch("/:id", requireScope("write"), json, (req, res) => {
    const picked = pick(req.body, false);
    if (picked.error) return refuse(res, 400, "invalid_request", picked.error);
    const updated = items.update(String(req.params.id), picked.fields ?? {});
    if (!updated) return refuse(res, 404, "not_found", "Not found.");
    res.json(updated);
  });
  router.delete("/:id", requireScope("write"), (req, res) => {
    if (!items.remove(String(req.params.id))) return refuse(res, 404, "not_found", "Not found.");
    res.status(204).end();
  });
  return router;
}

/** The demo's data: a project, a dataset and a model to start from. */
function createResources() {
  return {
    projects: collection("prj", [{ name: "Churn prediction" }]),
    datasets: collection("ds", [{ name: "customers-2026" }]),
    models: collection("mdl", [{ name: "churn-gbm", training_data: "s3://ml-private/customers-2026.parquet" }]),
  };
}

module.exports = { createResources, resourceRouter };
