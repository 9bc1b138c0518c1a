export * from "@portcullis/core";
export * from "@portcullis/redis";
export * from "@portcullis/api-key-auth";
export * from "@portcullis/require-scope";
export * from "@portcullis/api-keys-router";
export * from "@portcullis/session-auth";
export * from "@portcullis/login-rate-limit";
export * from "@portcullis/redact-response";
