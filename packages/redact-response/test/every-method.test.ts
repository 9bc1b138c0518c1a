import express from "express";
import request from "supertest";
import { ScopePolicy } from "@portcullis/core";
import { redactResponse } from "@portcullis/redact-response";
import { asKey, authenticate } from "./support/create-app";
import { createResourceApp } from "./support/resource-app";

const trainer = asKey(["read", "write", "admin"]);
const member = asKey(["read", "write"]);

describe("redactResponse mounted once on a resource router: every response", () => {
  test("POST, PATCH, PUT and DELETE answer without the hidden fields, as GET does", async () => {
    const { app } = createResourceApp(member);
    const responses = [
      await request(app).get("/models/m1").expect(200),
      await request(app).patch("/models/m1").send({ name: "renamed" }).expect(200),
      await request(app).put("/models/m1").send({ name: "again" }).expect(200),
      await request(app).delete("/models/m1").expect(200),
    ];
    for (const res of responses) {
      expect(res.body).not.toHaveProperty("training_data");
      expect(res.body.versions).toEqual([{ id: "v1" }]);
      expect(res.headers["x-redacted-fields"]).toBe("training_data, versions[*].metrics");
      expect(res.headers["cache-control"]).toBe("private");
    }
  });

  test("a POST answer (201) and a jsonp answer on a POST are redacted too", async () => {
    // The handler stores a training-data location the member may not read, and answers with it.
    const { app, models } = createResourceApp(member);
    const created = await request(app).post("/models").send({ name: "new", versions: [{ id: "v1" }] }).expect(201);
    expect(created.body).toEqual({ id: "m2", name: "new", versions: [{ id: "v1" }] });
    expect(created.headers["x-redacted-fields"]).toBe("training_data");
    expect(models.get("m2")?.training_data).toBe("s3://private/new.parquet");
    const exported = await request(createResourceApp(member).app).post("/models/m1/export?callback=cb").expect(200);
    expect(exported.text).not.toContain("s3://private");
    expect(exported.text).toContain('"name":"churn"');
  });

  test("a write's answer that is mostly hidden is sent redacted, not refused after the handler changed the resource", async () => {
    const { app, models } = createResourceApp(member, { redact: { threshold: 0.1 } });
    // A GET of the same model is refused: most of it is hidden.
    await request(app).get("/models/m1").expect(403);
    const res = await request(app).patch("/models/m1").send({ name: "renamed" }).expect(200);
    expect(res.body).toEqual({ id: "m1", name: "renamed", versions: [{ id: "v1" }] });
    expect(models.get("m1")?.name).toBe("renamed");
  });

  test("mounted with app.use(path, redactResponse(...), router), the same holds", async () => {
    const policy = new ScopePolicy({ implies: { admin: "*" } });
    const router = express.Router();
    router.patch("/:id", express.json(), (req, res) => void res.json({ id: req.params.id, ...req.body, training_data: "s3://x" }));
    const app = express();
    app.use(authenticate(asKey(["write"])));
    app.use("/models", redactResponse([{ path: "training_data", scope: "admin" }], { policy }), router);
    const res = await request(app).patch("/models/m1").send({ name: "n" }).expect(200);
    expect(res.body).toEqual({ id: "m1", name: "n" });
    expect((await request(createResourceApp(trainer).app).patch("/models/m1").send({ name: "n" })).body.training_data).toBe("s3://private/train.parquet");
  });
});
