import express from "express";
import { ApiKeys, MemoryKeyStore } from "@portcullis/core";
import { apiKeysRouter } from "@portcullis/api-keys-router";

// Set per jest project (jest.config.ts): the Express major that project is meant to test.
declare const expressMajor: number;

// The express4 project maps "express" to an npm alias; if the mapping broke, every suite in it
// would quietly test Express 5 again. These tests fail then.
test("the project runs on the Express major it is named after", () => {
  const { version } = require("express/package.json") as { version: string };
  expect(Number(version.split(".")[0])).toBe(expressMajor);
});

test("the packages' sources build their routers on the same Express copy as the test app", () => {
  const keys = new ApiKeys({ store: new MemoryKeyStore(), secret: "s".repeat(40), prefix: "t_." });
  const router = apiKeysRouter({ keys, manageScope: false });
  // Router methods live on the router prototype of one Express copy: another copy has its own.
  expect(router.use).toBe(express.Router().use);
});
