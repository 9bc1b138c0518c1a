import { MemoryOutbox } from "@portcullis/core";
import { describeOutboxContract } from "@portcullis/testing";

describeOutboxContract("MemoryOutbox", (options) => new MemoryOutbox(options));
