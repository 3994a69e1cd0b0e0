// A TCP forwarder in front of the database for outage tests. cut(): connections destroyed and the port
// closed (the database refuses). blackHole(): connections stay open and new ones are accepted, but no byte
// is forwarded either way (a link that drops packets: nothing is refused, nothing answers); restore()
// delivers what was held, in order, as TCP would once the link is back.
import net from 'node:net';

export class TcpProxy {
  port = 0;
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private holding = false;
  /** Bytes (or, as null, an end) not yet forwarded because of the black hole. */
  private held: Array<{ to: net.Socket; chunk: Buffer | null }> = [];

  constructor(
    private readonly host: string,
    private readonly targetPort: number,
  ) {}

  /** A proxy in front of the database of `databaseUrl`, and that URL pointed at the proxy. */
  static forDatabase(databaseUrl: string): { proxy: TcpProxy; url: () => string } {
    const target = new URL(databaseUrl);
    const proxy = new TcpProxy(target.hostname === 'localhost' ? '127.0.0.1' : target.hostname, Number(target.port || 5432));
    return {
      proxy,
      url: () => {
        const proxied = new URL(databaseUrl);
        proxied.hostname = '127.0.0.1';
        proxied.port = String(proxy.port);
        return proxied.toString();
      },
    };
  }

  async open(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      const forward = (from: net.Socket, to: net.Socket): void => {
        from.on('data', (chunk: Buffer) => {
          if (this.holding) this.held.push({ to, chunk });
          else to.write(chunk);
        });
        from.on('end', () => {
          if (this.holding) this.held.push({ to, chunk: null });
          else to.end();
        });
      };
      forward(client, upstream);
      forward(upstream, client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** Stops forwarding bytes, in both directions, on every connection (open ones and new ones). */
  blackHole(): void {
    this.holding = true;
  }

  /** Forwards again, first what was held. */
  restore(): void {
    this.holding = false;
    const held = this.held;
    this.held = [];
    for (const { to, chunk } of held) {
      if (to.destroyed) continue;
      if (chunk === null) to.end();
      else to.write(chunk);
    }
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.held = [];
    this.holding = false;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
