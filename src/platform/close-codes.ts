/** WebSocket close codes the gateway uses, so clients know what to do next. */

/** "Service Restart": reconnect (to another replica if there is one) and resubscribe with `since`. */
export const CLOSE_SERVICE_RESTART = 1012;

/** A subscriber read too slowly and its buffer filled: reconnect with `since` and catch up from the replay stream. */
export const CLOSE_SLOW_CONSUMER = 4413;

/** graphql-ws's Forbidden: no valid token in connection_init, or the token expired; get a new one and reconnect with `since`. */
export const CLOSE_FORBIDDEN = 4403;
