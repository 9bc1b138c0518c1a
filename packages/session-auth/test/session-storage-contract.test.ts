import { MemoryStore } from "express-session";
import { describeSessionStorageContract } from "@portcullis/testing";
import { expressSessionStorage, memorySessionStorage, MemorySessionIndex } from "@portcullis/session-auth";

describeSessionStorageContract("memorySessionStorage", () => memorySessionStorage());

// Its documented weaker guarantees: the plain store's own TTL, and a save that checks then writes.
describeSessionStorageContract("expressSessionStorage over express-session's MemoryStore", () => expressSessionStorage({ store: new MemoryStore(), index: new MemorySessionIndex() }), {
  keepsItsOwnTtl: true,
  saveChecksThenWrites: true,
});
