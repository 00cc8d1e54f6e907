import { connect, createServer, type Server } from 'node:net';
import { startTcpGate, type TcpGate } from './tcp-gate';

/** What a client connecting to the gate gets: the echo of what it wrote, or the connection error's code. */
function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(answer));
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

describe('the TCP gate in front of the SMTP peer', () => {
  let echo: Server;
  let gate: TcpGate;

  beforeAll(async () => {
    echo = createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    gate = await startTcpGate((echo.address() as { port: number }).port);
  });

  afterAll(async () => {
    await gate.close();
    await new Promise((resolve) => echo.close(resolve));
  });

  it('passes bytes both ways, refuses connections while shut, and passes them again on the same port once open', async () => {
    expect(await roundTrip(gate.port, 'before')).toBe('before');
    await gate.shut();
    expect(gate.isOpen()).toBe(false);
    expect(await roundTrip(gate.port, 'during')).toBe('ECONNREFUSED');
    await gate.open();
    expect(await roundTrip(gate.port, 'after')).toBe('after');
  });
});
