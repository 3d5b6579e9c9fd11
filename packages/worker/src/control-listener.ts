/**
 * Serving the control app: HTTP or HTTPS by `[server] ssl_cert`/`ssl_key`
 * (core's createServerFor and listenOn), with bounded header and request
 * times and a connection cap, and a warning when commands are open to other
 * hosts.
 */
import type { Server } from 'node:http';
import { createServerFor, isLoopback, listenOn, serverProtocol, type Logger, type WorkerConfig } from '@tunasync/core';
import type { Express } from 'express';

/** Header and request time limits and the connection cap of the control server. */
export const CONTROL_SERVER_LIMITS = { headersTimeoutMs: 30_000, requestTimeoutMs: 60_000, maxConnections: 256 } as const;

/** A listening control server. */
export interface ControlListener {
  server: Server;
  /** The URL registered with the managers. */
  url: string;
  /** Stops accepting and closes idle connections; resolves once closed. */
  close(): Promise<void>;
}

/** Creates the server for `app` per `config`'s `[server]` section and listens. */
export async function listenControl(app: Express, config: WorkerConfig, logger: Logger): Promise<ControlListener> {
  const { server: s, manager } = config;
  const server = createServerFor({ configFile: config.file, sslCert: s.sslCert, sslKey: s.sslKey }, app);
  server.headersTimeout = CONTROL_SERVER_LIMITS.headersTimeoutMs;
  server.requestTimeout = CONTROL_SERVER_LIMITS.requestTimeoutMs;
  server.maxConnections = CONTROL_SERVER_LIMITS.maxConnections;
  const { port } = await listenOn(server, s.listenAddr, s.listenPort);
  const url = `${serverProtocol(server)}://${s.hostname}:${port}/`;
  logger.info(`control server on ${s.listenAddr}:${port}, registering as ${url}`);
  if (!manager.token && !isLoopback(s.listenAddr)) {
    logger.warn(`no [manager] token is configured and the control server listens on ${s.listenAddr}: anyone who can reach it may send commands`);
  }
  return {
    server,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
