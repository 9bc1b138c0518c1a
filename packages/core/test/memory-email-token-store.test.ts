import { MemoryEmailTokenStore } from "@portcullis/core";
import { describeEmailTokenStoreContract } from "@portcullis/testing";

describeEmailTokenStoreContract("MemoryEmailTokenStore", () => new MemoryEmailTokenStore());
