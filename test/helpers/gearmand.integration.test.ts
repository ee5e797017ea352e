import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { startGearmand } from './gearmand.js';

describe('startGearmand', () => {
  it('starts gearmand on a free loopback port that accepts connections, and stops it', async () => {
    const gearmand = await startGearmand();
    expect(gearmand.address).toBe(`127.0.0.1:${gearmand.port}`);
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect({ host: gearmand.host, port: gearmand.port }, () => socket.end(resolve));
      socket.once('error', reject);
    });
    expect(await gearmand.readLog()).toContain(`pid ${gearmand.pid}`);
    await gearmand.stop();
    expect(() => process.kill(gearmand.pid, 0)).toThrow(); // the process is gone
  });

  it('fails, naming the port, when the port is taken (a probe of the port, not a wait for gearmand to give up)', async () => {
    const gearmand = await startGearmand();
    try {
      await expect(startGearmand({ port: gearmand.port })).rejects.toThrow(`127.0.0.1:${gearmand.port}: the port is in use`);
    } finally {
      await gearmand.stop();
    }
  });

  it('reports gearmand refusing its arguments, with its output', async () => {
    await expect(startGearmand({ args: ['--no-such-option'] })).rejects.toThrow(/exited during start-up[\s\S]*no-such-option/);
  });
});
