export * from "./redis-server";
export * from "./redis-cluster";
export * from "./redis-sentinel";
export * from "./key-store-contract";
export * from "./user-store-contract";
export * from "./audit-sink-contract";
export * from "./example-server";
export * from "./eventually";
