/**
 * Starting and stopping a node:http server the way the node's servers (the ops endpoint, the
 * content store) need it: `listen` rejects when the port is taken instead of emitting an error
 * nobody hears, and `close` also drops idle keep-alive connections so that a scraper's open
 * connection cannot hold a shutdown, and resolves once the port is free.
 */
import type http from "node:http";

/** Listens on host:port; rejects with the server's error (EADDRINUSE, EACCES) when it cannot. */
export function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/** Stops accepting, closes idle connections, waits for the requests in flight. */
export function close(server: http.Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeIdleConnections();
  });
}
