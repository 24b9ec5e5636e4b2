/** The service's default limits: a module of their own, so that the CLI's main thread need not load the server. */
export const SERVICE_DEFAULTS = { host: '127.0.0.1', maxBodyBytes: 8 * 2 ** 20, maxItems: 1024, maxQueue: 8192, maxHeldBytes: 32 * 2 ** 20 };
