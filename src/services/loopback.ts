/** Local stand-ins listen on 127.0.0.1 only, on a port the OS picks (never a fixed one). */
import type { AddressInfo, Server } from 'node:net';

/** Starts `server` on 127.0.0.1 and a free port; resolves with the port, rejects if it cannot listen. */
export function listenOnLoopback(server: Server): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
