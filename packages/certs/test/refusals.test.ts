/**
 * What createCa and createHostCertificate refuse, with errors that say what
 * is wrong: existing files without force (nothing is touched), a missing CA,
 * a key that is not the CA's, a non-CA certificate, bad names and addresses,
 * no subjectAltName at all, bad numbers, a corrupt serial file.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NotFoundError, ValidationError } from '@tunasync/core';
import { FileExistsError, createCa, createHostCertificate, type CreatedCa } from '@tunasync/certs';
import { openssl, tempDir } from './helpers.js';

let t: ReturnType<typeof tempDir>;
let ca: CreatedCa;
let other: CreatedCa;
beforeAll(async () => {
  t = tempDir();
  ca = await createCa({ outDir: join(t.dir, 'ca') });
  other = await createCa({ outDir: join(t.dir, 'other'), commonName: 'Other CA' });
});
afterAll(() => t.cleanup());

const host = (extra: Partial<Parameters<typeof createHostCertificate>[0]> = {}): ReturnType<typeof createHostCertificate> =>
  createHostCertificate({ caDir: join(t.dir, 'ca'), name: 'h', dns: ['h.example'], outDir: join(t.dir, 'out'), ...extra });

describe('overwriting', () => {
  it('refuses to replace a CA without force, and replaces it (key still 0600) with force', async () => {
    const dir = join(t.dir, 'again');
    const first = await createCa({ outDir: dir });
    const before = readFileSync(first.keyFile, 'utf8');
    const err = await createCa({ outDir: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FileExistsError);
    expect((err as FileExistsError).code).toBe('CONFLICT');
    expect((err as FileExistsError).files).toEqual([first.keyFile, first.certFile]);
    expect((err as Error).message).toBe(`refusing to overwrite ${first.keyFile}, ${first.certFile} (use --force to replace them)`);
    expect(readFileSync(first.keyFile, 'utf8')).toBe(before);

    writeFileSync(join(dir, 'only-cert'), '');
    const again = await createCa({ outDir: dir, force: true });
    expect(readFileSync(again.keyFile, 'utf8')).not.toBe(before);
    expect(statSync(again.keyFile).mode & 0o777).toBe(0o600);
    expect(await openssl('verify', '-CAfile', again.certFile, again.certFile)).toContain(': OK');
  });

  it('refuses to replace any host file without force; the serial is not used up', async () => {
    const dir = join(t.dir, 'host-again');
    mkdirSync(dir);
    writeFileSync(join(dir, 'h.csr'), 'old');
    const serialBefore = existsSync(ca.serialFile) ? readFileSync(ca.serialFile, 'utf8') : 'none';
    await expect(host({ outDir: dir })).rejects.toThrow(`refusing to overwrite ${join(dir, 'h.csr')} (use --force to replace it)`);
    expect(existsSync(join(dir, 'h.key'))).toBe(false);
    expect(existsSync(ca.serialFile) ? readFileSync(ca.serialFile, 'utf8') : 'none').toBe(serialBefore);
    expect(readFileSync(join(dir, 'h.csr'), 'utf8')).toBe('old');
    const made = await host({ outDir: dir, force: true });
    expect(readFileSync(made.csrFile, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----\n/);
    expect(statSync(made.keyFile).mode & 0o777).toBe(0o600);
  });
});

describe('the CA', () => {
  it('names the missing file and how to make a CA', async () => {
    const missing = join(t.dir, 'no-ca');
    const err = await host({ caDir: missing }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toBe(
      `no CA in ${missing}: ${join(missing, 'rootCA.key')} (the CA key) does not exist; make a CA with "tunasync-certs ca --out ${missing}"`,
    );
    const halfDir = join(t.dir, 'half');
    mkdirSync(halfDir);
    copyFileSync(ca.keyFile, join(halfDir, 'rootCA.key'));
    await expect(host({ caDir: halfDir })).rejects.toThrow(`${join(halfDir, 'rootCA.crt')} (the CA certificate) does not exist`);
  });

  it('refuses a key that is not the CA certificate\'s', async () => {
    const mixed = join(t.dir, 'mixed');
    mkdirSync(mixed);
    copyFileSync(ca.certFile, join(mixed, 'rootCA.crt'));
    copyFileSync(other.keyFile, join(mixed, 'rootCA.key'));
    const err = await host({ caDir: mixed }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toBe(`${join(mixed, 'rootCA.key')} does not match ${join(mixed, 'rootCA.crt')}: the key is not the CA certificate's key`);
    expect(existsSync(join(t.dir, 'out', 'h.key'))).toBe(false);
  });

  it('refuses a certificate that is not a CA, an unreadable key, a non-RSA key and a corrupt serial file', async () => {
    const leafDir = join(t.dir, 'leaf-as-ca');
    const leaf = await host({ outDir: leafDir, name: 'leaf' });
    copyFileSync(leaf.certFile, join(leafDir, 'rootCA.crt'));
    copyFileSync(leaf.keyFile, join(leafDir, 'rootCA.key'));
    await expect(host({ caDir: leafDir })).rejects.toThrow(`${join(leafDir, 'rootCA.crt')}: not a CA certificate (basicConstraints CA:TRUE is missing)`);

    const junk = join(t.dir, 'junk');
    mkdirSync(junk);
    copyFileSync(ca.certFile, join(junk, 'rootCA.crt'));
    writeFileSync(join(junk, 'rootCA.key'), 'not a key');
    await expect(host({ caDir: junk })).rejects.toThrow(`${join(junk, 'rootCA.key')}: not a readable unencrypted private key`);

    const ec = join(t.dir, 'ec');
    mkdirSync(ec);
    await openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(ec, 'rootCA.key'), '-out', join(ec, 'rootCA.crt'), '-days', '1', '-subj', '/CN=ec');
    await expect(host({ caDir: ec })).rejects.toThrow(`${join(ec, 'rootCA.key')}: a key of type ec; only RSA CA keys are supported`);

    const srl = join(t.dir, 'bad-srl');
    await createCa({ outDir: srl });
    writeFileSync(join(srl, 'rootCA.srl'), 'not hex\n');
    await expect(host({ caDir: srl })).rejects.toThrow(`${join(srl, 'rootCA.srl')}: not a hex serial number (openssl's serial file format)`);
  });
});

describe('input', () => {
  it.each([
    [{ ip: ['300.1.2.3'] }, '--ip "300.1.2.3" is not an IPv4 or IPv6 address', 'ip'],
    [{ ip: ['10.0.0.1/24'] }, '--ip "10.0.0.1/24" is not an IPv4 or IPv6 address', 'ip'],
    [{ dns: ['10.0.0.1'] }, '--dns "10.0.0.1" is an IP address: pass it with --ip', 'dns'],
    [{ dns: ['bad name.example'] }, '--dns "bad name.example" is not a valid DNS name', 'dns'],
    [{ dns: ['-lead.example'] }, '--dns "-lead.example" is not a valid DNS name', 'dns'],
    [{ dns: [] }, 'a host certificate needs at least one --dns name or --ip address (its subjectAltName)', 'dns'],
    [{ dns: [], ip: [] }, 'a host certificate needs at least one --dns name or --ip address (its subjectAltName)', 'dns'],
    [{ name: '../escape' }, '--name "../escape" must be a plain file name (letters, digits, ".", "_", "-")', 'name'],
    [{ name: '..' }, '--name ".." must be a plain file name (letters, digits, ".", "_", "-")', 'name'],
    [{ days: 0 }, '--days must be a whole number of days, at least 1 (got 0)', 'days'],
    [{ days: 1.5 }, '--days must be a whole number of days, at least 1 (got 1.5)', 'days'],
    [{ keySize: 1024 }, '--key-size must be a whole number of bits from 2048 to 16384 (got 1024)', 'key-size'],
    [{ country: 'China' }, 'country "China" must be a two-letter code such as CN', 'country'],
    [{ commonName: 'x'.repeat(65) }, `common name "${'x'.repeat(65)}" is longer than 64 characters (pass a shorter --cn)`, 'cn'],
  ] as const)('refuses %j', async (extra, message, field) => {
    const err = await host(extra as Partial<Parameters<typeof createHostCertificate>[0]>).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).message).toBe(message);
    expect((err as ValidationError).field).toBe(field);
    expect((err as ValidationError).code).toBe('BAD_REQUEST');
  });

  it('refuses bad CA options before writing anything', async () => {
    const dir = join(t.dir, 'never');
    await expect(createCa({ outDir: dir, days: -1 })).rejects.toThrow('--days must be a whole number of days, at least 1 (got -1)');
    await expect(createCa({ outDir: dir, keySize: 100_000 })).rejects.toThrow('--key-size must be a whole number of bits from 2048 to 16384');
    await expect(createCa({ outDir: dir, commonName: '' })).rejects.toThrow('the common name must not be empty');
    expect(existsSync(dir)).toBe(false);
  });
});
