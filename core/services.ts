import { authService } from "./auth/main";
import { cartService } from "./cart/main";
import { catalogService } from "./catalog/main";
import { deliveryService } from "./delivery/main";
import { inventoryService } from "./inventory/main";
import { orderService } from "./order/main";
import { paymentService } from "./payment/main";
import { pricingService } from "./pricing/main";
import type { ServiceDefinition } from "./shared/runtime/service";

/** Every core service, in the order they start. */
export const services: ServiceDefinition[] = [
  authService,
  catalogService,
  pricingService,
  cartService,
  inventoryService,
  orderService,
  paymentService,
  deliveryService,
];
