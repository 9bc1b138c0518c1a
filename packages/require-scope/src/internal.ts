// For the other portcullis packages only (`@portcullis/require-scope/internal`): what the key
// router and authRouter share with these guards. Not public API; it changes without notice.
export { endpointIdsOf, endpointRefusal } from "./endpoint";
export { reauthenticationRequired } from "./require-recent-auth";
