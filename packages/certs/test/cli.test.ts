/**
 * The built bin `tunasync-certs`, spawned with execFile: `ca` and `host`
 * write what the library writes (openssl verifies it), repeated --dns/--ip
 * end up in the SAN, and refusals exit 1 with the message on stderr.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildCerts, certsBin, openssl, runProgram, tempDir } from './helpers.js';

const certs = (args: string[], cwd?: string): ReturnType<typeof runProgram> => runProgram(process.execPath, [certsBin, ...args], cwd);

let t: ReturnType<typeof tempDir>;
beforeAll(async () => {
  await buildCerts();
  t = tempDir();
}, 120_000);
afterAll(() => t.cleanup());

describe('tunasync-certs', () => {
  it('is built as a node script', () => {
    expect(readFileSync(certsBin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('ca then host: files openssl verifies, with the flags applied', async () => {
    const ca = await certs(['ca', '--out', 'pki', '--cn', 'Mirror CA', '--days', '10', '--org-unit', 'Mirrors'], t.dir);
    expect(ca.stderr).toBe('');
    expect(ca.code).toBe(0);
    expect(ca.stdout).toMatch(new RegExp(`^wrote ${join(t.dir, 'pki', 'rootCA.key')} \\(mode 0600\\)\nwrote ${join(t.dir, 'pki', 'rootCA.crt')} \\(serial [0-9A-F]+, valid until \\S+\\)\n$`));
    expect(statSync(join(t.dir, 'pki', 'rootCA.key')).mode & 0o777).toBe(0o600);
    expect(await openssl('x509', '-in', join(t.dir, 'pki', 'rootCA.crt'), '-noout', '-subject')).toMatch(/OU ?= ?Mirrors, CN ?= ?Mirror CA/);

    const host = await certs(
      ['host', '--ca', 'pki', '--name', 'worker1', '--dns', 'worker1.example', '--dns', 'localhost', '--ip', '127.0.0.1', '--ip', '::1', '--out', 'hosts', '--locality', 'Haidian'],
      t.dir,
    );
    expect(host.stderr).toBe('');
    expect(host.code).toBe(0);
    const crt = join(t.dir, 'hosts', 'worker1.crt');
    expect(host.stdout).toContain(`wrote ${join(t.dir, 'hosts', 'worker1.key')} (mode 0600)\nwrote ${join(t.dir, 'hosts', 'worker1.csr')}\nwrote ${crt} (serial `);
    expect(host.stdout).toContain('DNS:worker1.example, DNS:localhost, IP:127.0.0.1, IP:::1, valid until');
    expect(await openssl('verify', '-CAfile', join(t.dir, 'pki', 'rootCA.crt'), crt)).toBe(`${crt}: OK\n`);
    const text = await openssl('x509', '-in', crt, '-text', '-noout');
    expect(text).toMatch(/Subject: C ?= ?CN, ST ?= ?BJ, L ?= ?Haidian, OU ?= ?TUNA, CN ?= ?worker1\.example/);
    expect(text).toMatch(/Subject Alternative Name:\s+DNS:worker1\.example, DNS:localhost, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1\n/);
    const serial = /serial ([0-9A-F]+)/.exec(host.stdout)![1];
    expect(readFileSync(join(t.dir, 'pki', 'rootCA.srl'), 'utf8')).toBe(`${serial}\n`);
    expect(await openssl('req', '-in', join(t.dir, 'hosts', 'worker1.csr'), '-verify', '-noout')).toMatch(/verify OK/i);

    // host writes into the current directory by default; --force replaces.
    const here = await certs(['host', '--ca', 'pki', '--name', 'manager', '--dns', 'manager.example'], t.dir);
    expect(here.code).toBe(0);
    expect(statSync(join(t.dir, 'manager.key')).mode & 0o777).toBe(0o600);
    const again = await certs(['host', '--ca', 'pki', '--name', 'manager', '--dns', 'manager.example'], t.dir);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`tunasync-certs: refusing to overwrite ${join(t.dir, 'manager.key')}, ${join(t.dir, 'manager.csr')}, ${join(t.dir, 'manager.crt')} (use --force to replace them)`);
    const forced = await certs(['host', '--ca', 'pki', '--name', 'manager', '--dns', 'manager.example', '--force'], t.dir);
    expect(forced.code).toBe(0);
  });

  it('exits 1 with a clear message for each refusal', async () => {
    const cases: [string[], string][] = [
      [['host', '--ca', 'nowhere', '--name', 'x', '--dns', 'x.example'], `tunasync-certs: no CA in nowhere: ${join(t.dir, 'nowhere', 'rootCA.key')} (the CA key) does not exist; make a CA with "tunasync-certs ca --out nowhere"\n`],
      [['host', '--ca', 'pki', '--name', 'x', '--ip', '1.2.3'], 'tunasync-certs: --ip "1.2.3" is not an IPv4 or IPv6 address\n'],
      [['host', '--ca', 'pki', '--name', 'x'], 'tunasync-certs: a host certificate needs at least one --dns name or --ip address (its subjectAltName)\n'],
      [['ca', '--out', 'pki'], `tunasync-certs: refusing to overwrite ${join(t.dir, 'pki', 'rootCA.key')}, ${join(t.dir, 'pki', 'rootCA.crt')} (use --force to replace them)\n`],
    ];
    await certs(['ca', '--out', 'pki'], t.dir); // exists from the first test, or is made here
    for (const [args, message] of cases) {
      const r = await certs(args, t.dir);
      expect({ args, code: r.code, stderr: r.stderr, stdout: r.stdout }).toEqual({ args, code: 1, stderr: message, stdout: '' });
    }
    const usage = await certs([], t.dir);
    expect(usage.code).toBe(1);
    expect(usage.stderr).toContain('name a command: ca or host');
    const missing = await certs(['ca'], t.dir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Missing required argument: out/);
    const unknown = await certs(['host', '--ca', 'pki', '--name', 'x', '--dns', 'x', '--bogus'], t.dir);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/Unknown argument: bogus/);
  });
});
