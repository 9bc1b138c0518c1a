import { MemoryKeyStore } from "@portcullis/core";
import { describeKeyStoreContract } from "@portcullis/testing";

describeKeyStoreContract("MemoryKeyStore", () => new MemoryKeyStore());
