import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A throwaway certificate authority and a server certificate for 127.0.0.1, made by openssl. */
export class TestCertificates {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'turbine-tls-'));
  readonly caFile = path.join(this.dir, 'ca.crt');
  readonly certFile = path.join(this.dir, 'server.crt');
  readonly keyFile = path.join(this.dir, 'server.key');

  constructor() {
    const caKey = path.join(this.dir, 'ca.key');
    const request = path.join(this.dir, 'server.csr');
    const extensions = path.join(this.dir, 'server.ext');
    const run = (...args: string[]): void => {
      try {
        execFileSync('openssl', args, { cwd: this.dir, stdio: 'pipe' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        throw new Error('The TLS tests need openssl to make their certificates: install it (Debian/Ubuntu: sudo apt-get install -y openssl)', {
          cause: error,
        });
      }
    };
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=Turbine test CA', '-keyout', caKey, '-out', this.caFile);
    run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', this.keyFile, '-out', request);
    writeFileSync(extensions, 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    run('x509', '-req', '-in', request, '-CA', this.caFile, '-CAkey', caKey, '-CAcreateserial', '-days', '1', '-extfile', extensions, '-out', this.certFile);
  }

  /** redis-server options that add a TLS port next to the plain one (clients need no certificate). */
  redisArgs(tlsPort: number): string[] {
    return ['--tls-port', String(tlsPort), '--tls-cert-file', this.certFile, '--tls-key-file', this.keyFile,
      '--tls-ca-cert-file', this.caFile, '--tls-auth-clients', 'no'];
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
