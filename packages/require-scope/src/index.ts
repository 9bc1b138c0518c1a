export * from "./require-scope";
export * from "./require-recent-auth";
export * from "./require-app";
export * from "./endpoint";
