import { services } from "./services";
import { loadConfig } from "./shared/config";
import { runUntilSignal, startService } from "./shared/runtime/service";

// Development runs every service in one process; production runs each service's own main.ts.
const config = loadConfig();
await runUntilSignal(() => Promise.all(services.map((service) => startService(service, config))));
