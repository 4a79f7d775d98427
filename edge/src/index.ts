import { app } from "./app";

export { OrderEvents } from "./live/order-events";

export default app satisfies ExportedHandler<Env>;
