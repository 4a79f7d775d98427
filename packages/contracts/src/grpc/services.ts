// The gRPC services of core and their messages, generated from packages/contracts/proto (`npm run proto`).
export * from "./gen/grpc/health/v1/health_pb";
export * from "./gen/qc/cart/v1/cart_pb";
export * from "./gen/qc/common/v1/common_pb";
export * from "./gen/qc/delivery/v1/rider_tracking_pb";
export * from "./gen/qc/inventory/v1/inventory_pb";
export * from "./gen/qc/pricing/v1/pricing_pb";
