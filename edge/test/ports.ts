/** Ports of the servers the test run starts in Node (globalSetup) and the Worker under test calls. */
export const CORE_DOUBLE_PORT = 28400;
export const UPSTASH_PORT = 28079;
export const CORE_DOUBLE_URL = `http://127.0.0.1:${CORE_DOUBLE_PORT}`;
export const UPSTASH_URL = `http://127.0.0.1:${UPSTASH_PORT}`;
/** Nothing listens here: calls to it fail at once, like a crashed service. */
export const DEAD_URL = "http://127.0.0.1:28499";
