import { MemoryIdentityStore } from "@portcullis/core";
import { describeIdentityStoreContract } from "@portcullis/testing";

describeIdentityStoreContract("MemoryIdentityStore", () => new MemoryIdentityStore());
