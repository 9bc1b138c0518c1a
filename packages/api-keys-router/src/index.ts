export * from "./api-keys-router";
export * from "./key-json";
