import { createServer, connect, type Server, type Socket } from 'node:net';

/** A TCP port in front of a server that can be shut: while shut, connecting is refused (ECONNREFUSED), as when the server is down. */
export interface TcpGate {
  port: number;
  isOpen(): boolean;
  /** Stops listening; connections already open finish what they were doing. */
  shut(): Promise<void>;
  open(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpGate(targetPort: number): Promise<TcpGate> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      // Half-open both ways: a side that finished writing still gets the other side's answer.
      const next = createServer({ allowHalfOpen: true }, (inbound) => {
        const outbound = connect({ port: targetPort, host: '127.0.0.1', allowHalfOpen: true });
        for (const socket of [inbound, outbound]) {
          sockets.add(socket);
          socket.once('close', () => sockets.delete(socket));
          socket.on('error', () => {
            inbound.destroy();
            outbound.destroy();
          });
        }
        inbound.pipe(outbound).pipe(inbound);
      });
      next.once('error', reject);
      next.listen(port, '127.0.0.1', () => {
        port = (next.address() as { port: number }).port;
        server = next;
        resolve();
      });
    });
  /** Closes the listening socket at once; the server object lingers until its open connections end. */
  const unlisten = async () => {
    server?.close();
    server = undefined;
  };
  await listen();
  return {
    port,
    isOpen: () => server !== undefined,
    shut: unlisten,
    open: () => (server ? Promise.resolve() : listen()),
    async close() {
      await unlisten();
      sockets.forEach((socket) => socket.destroy());
    },
  };
}
