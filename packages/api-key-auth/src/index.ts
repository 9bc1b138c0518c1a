export * from "./api-key-auth";
export * from "./credential-sources";
export * from "./extract-api-key";
export * from "./key-rate-limit";
