import { MemoryLimiterStore } from "@portcullis/core";
import { describeLimiterStoreContract } from "@portcullis/testing";

describeLimiterStoreContract("MemoryLimiterStore", () => new MemoryLimiterStore());
