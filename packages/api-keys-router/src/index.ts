export * from "./api-keys-router";
export * from "./key-json";
export * from "./access-log-router";
