export * from "./require-scope";
export * from "./require-recent-auth";
