export * from "./redis-server";
export * from "./key-store-contract";
