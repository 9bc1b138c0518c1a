export * from "./require-scope";
